"""One 1-megapixel photo through the shipped model, end to end, stage by stage.

Reads ../shared/data/dev/dev_001.jpg resized to 1 MP (a synthetic photo when the data is
missing, said in the output), then for each decoding: reading the file, the network
(lightness + resize + forward pass), decoding (the kept logits to full-size colour: the
calibrated decoding's rebalancing, confidence and edge-aware smoothing, or the paper's
annealed mean and bilinear resize), and writing the PNG. Medians of ``--repeat`` runs after a
warm-up; the model is loaded once (as `colorize cnn` does for a batch). Target (issue 15):
a 1 MP photo in under 1.5 s end to end on the 2 cores.

Usage::

    python benchmarks/bench_cnn_end_to_end.py [--repeat 5] [--models shipped other.npz]

Issue 25's target: 0.6 s for the 1 MP photo, idle machine. Several ``--models`` are timed
in the same run, so their ratio holds on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

PHOTO = ROOT.parent / "shared" / "data" / "dev" / "dev_001.jpg"


def one_megapixel(folder: str) -> str:
    """Path of a 1 MP JPEG: the dev photo resized, or a synthetic gradient."""
    import cv2

    from colorize_app.io.media import read_image, write_image

    if PHOTO.is_file():
        pixels = read_image(PHOTO).pixels
        print(f"photo: {PHOTO.name} resized to 1 MP")
    else:
        yy, xx = np.mgrid[0:768, 0:1024] / 1024.0
        pixels = np.dstack([xx, yy, 0.5 * (xx + yy)]).astype(np.float32)
        print(f"{PHOTO} is missing: a synthetic 1 MP photo")
    scale = (1e6 / (pixels.shape[0] * pixels.shape[1])) ** 0.5
    size = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
    path = os.path.join(folder, "photo.jpg")
    write_image(path, cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), quality=90)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["shipped"],
                        help="model files ('shipped': the default model)")
    args = parser.parse_args()
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_registry import resolve_model

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        source = one_megapixel(folder)
        for spec in args.models:
            print(f"model {spec}")
            time_model(load_model(resolve_model(None if spec == "shipped" else spec)),
                       source, folder, args.repeat)
    return 0


def time_model(model, source: str, folder: str, repeat: int) -> None:
    """Print the stage times of one model: its own decoding, then the paper's."""
    from algorithms.cnn.colorizer import Colorizer
    from algorithms.cnn.decode import Decoding
    from colorize_app.io.media import read_image, write_image

    with Colorizer(model) as colorizer:
        for name, decoding in (("model's", Decoding.from_metadata(
                colorizer.model.metadata)), ("paper", Decoding.paper())):
            colorizer.decoding = decoding
            times: dict[str, list[float]] = {"read": [], "colorize": [], "of which decode": [],
                                             "write": [], "total": []}
            for run in range(repeat + 1):
                start = time.perf_counter()
                pixels = read_image(source).pixels
                read = time.perf_counter()
                rgb = colorizer.colorize(pixels)
                coloured = time.perf_counter()
                write_image(os.path.join(folder, "out.png"), rgb)
                end = time.perf_counter()
                colorizer.redecode()  # the decoding stage alone, on the kept logits
                decode = time.perf_counter() - end
                if run:  # the first run warms the graph up
                    for key, value in (("read", read - start),
                                       ("colorize", coloured - read),
                                       ("of which decode", decode),
                                       ("write", end - coloured), ("total", end - start)):
                        times[key].append(value)
            print(f"{name:<11} " + "  ".join(f"{key} {np.median(value):.3f} s"
                                              for key, value in times.items()))


if __name__ == "__main__":
    sys.exit(main())
