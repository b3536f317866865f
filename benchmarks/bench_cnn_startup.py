"""The first photo's wait: the project's own start-up after ``import tensorflow``.

Each of ``--runs`` fresh processes does what ``colorize cnn`` does for one photo, timing
each stage: ``import tensorflow`` (TensorFlow's own, the quiet import), reading the model
file, building the colorizer (the graph with its weights), then the first photo and the
same photo again (everything set up), each as: read the JPEG, its lightness, the network
(photo and mirror), decoding, write the PNG (the stages from the colorizer's progress
reports). What the project adds once per process (every ``colorize cnn``, batch worker
and video):

- network start-up = model + colorizer + the first photo's network - the second's;
- first-photo extras = the rest of the first photo - the same of the second (libraries
  imported and tables made on first use: JPEG and PNG codecs, colour conversions);
- start-up = both.

Then, interleaved so that the load hits both alike, the whole ``colorize cnn PHOTO -o
OUT`` process and a process that only imports TensorFlow the same way.

Targets (issue 29, 2 cores idle): start-up < 0.5 s; whole process <= import + 1.0 s.
The photo is ../shared/data/dev/dev_001.jpg resized to 1 MP (a synthetic photo when the
data is missing, said in the output). Load averages are printed: on a shared machine,
compare figures of the same run.

Usage::

    python benchmarks/bench_cnn_startup.py [--runs 5] [--model shipped]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHOTO = ROOT.parent / "shared" / "data" / "dev" / "dev_001.jpg"
PHOTO_STAGES = ("read", "lightness", "network", "decode", "write")
STAGES = ("tensorflow", "model", "colorizer",
          *(f"{stage} {number}" for number in (1, 2) for stage in PHOTO_STAGES),
          "network start-up", "first-photo extras", "start-up")
IMPORT_ONLY = ("from colorize_app.runtime.tf_startup import configure_tensorflow, "
               "import_tensorflow; configure_tensorflow('cnn'); import_tensorflow()")


def one_megapixel(folder: str) -> str:
    """Path of a 1 MP JPEG: the dev photo resized, or a synthetic gradient."""
    import cv2
    import numpy as np

    pixels = cv2.imread(str(PHOTO)) if PHOTO.is_file() else None
    if pixels is not None:
        print(f"photo: {PHOTO.name} resized to 1 MP")
    else:
        yy, xx = np.mgrid[0:768, 0:1024] / 1024.0
        pixels = (255 * np.dstack([xx, yy, 0.5 * (xx + yy)])).astype(np.uint8)
        print(f"{PHOTO} is missing: a synthetic 1 MP photo")
    scale = (1e6 / (pixels.shape[0] * pixels.shape[1])) ** 0.5
    size = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
    path = os.path.join(folder, "photo.jpg")
    cv2.imwrite(path, cv2.resize(pixels, size, interpolation=cv2.INTER_AREA),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def worker(model_spec: str, photo: str, output: str) -> dict[str, float]:
    """One process's stage times (seconds), in the order `colorize cnn` runs them."""
    from colorize_app.runtime.tf_startup import configure_tensorflow, import_tensorflow

    configure_tensorflow("cnn")
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io import media
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_registry import resolve_model

    path = resolve_model(None if model_spec == "shipped" else model_spec)
    times = {}
    start = time.perf_counter()
    import_tensorflow()
    times["tensorflow"] = time.perf_counter() - start
    start = time.perf_counter()
    model = load_model(path)
    times["model"] = time.perf_counter() - start
    start = time.perf_counter()
    with Colorizer(model) as colorizer:
        times["colorizer"] = time.perf_counter() - start
        for number in (1, 2):
            marks = [time.perf_counter()]
            pixels = media.read_image(photo).pixels
            # The colorizer reports "lightness", "network", "decoding", "done" as it starts
            # each stage: the time between two reports is the earlier stage's.
            rgb = colorizer.colorize(
                pixels, progress=lambda *_, marks=marks: marks.append(time.perf_counter()))
            media.write_image(output, rgb)
            marks.append(time.perf_counter())
            for stage, begin, end in zip(PHOTO_STAGES, marks[:-1], marks[1:], strict=True):
                times[f"{stage} {number}"] = end - begin
    times["network start-up"] = (times["model"] + times["colorizer"] + times["network 1"]
                                 - times["network 2"])
    times["first-photo extras"] = sum(times[f"{stage} 1"] - times[f"{stage} 2"]
                                      for stage in PHOTO_STAGES if stage != "network")
    times["start-up"] = times["network start-up"] + times["first-photo extras"]
    return times


def timed_process(command: list[str]) -> float:
    """Wall seconds of one process (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--model", default="shipped", help="model file ('shipped': the default)")
    parser.add_argument("--worker", nargs=2, metavar=("PHOTO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.model, *args.worker)))
        return 0

    print(f"{os.cpu_count()} cores; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        photo, output = one_megapixel(folder), os.path.join(folder, "out.png")
        stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
        for _ in range(args.runs):
            done = subprocess.run([sys.executable, __file__, "--model", args.model,
                                   "--worker", photo, output],
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                print(done.stderr[-3000:])
                return 1
            for stage, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
                stages[stage].append(value)
        print(f"in one process, median of {args.runs} (seconds; 1: first photo, 2: second):")
        for row in (STAGES[:3], STAGES[3:8], STAGES[8:13], STAGES[13:]):
            print("  " + "  ".join(f"{stage} {statistics.median(stages[stage]):.3f}"
                                   for stage in row))

        colorize = [sys.executable, "-m", "colorize_app.cli", "cnn", photo, "-o", output]
        if args.model != "shipped":
            colorize += ["--model", args.model]
        wholes: dict[str, list[float]] = {"colorize cnn": [], "import tensorflow": []}
        for _ in range(args.runs):
            wholes["colorize cnn"].append(timed_process(colorize))
            wholes["import tensorflow"].append(timed_process([sys.executable, "-c",
                                                              IMPORT_ONLY]))
    print("whole processes, interleaved (seconds):")
    for name, values in wholes.items():
        print(f"  {name:<18} median {statistics.median(values):.2f}  min {min(values):.2f}  "
              f"({' '.join(f'{v:.2f}' for v in values)})")
    difference = statistics.median(wholes["colorize cnn"]) - statistics.median(
        wholes["import tensorflow"])
    print(f"  colorize cnn - import tensorflow: {difference:.2f} s (target <= 1.0)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
