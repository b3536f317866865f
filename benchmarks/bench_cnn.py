"""Figures for the Zhang et al. (2016) CNN: load time, forward time, memory, re-decoding.

For the full-width network and for width 0.5 (random weights of the real shapes, saved
as the project's .npz), each in its own process so that its peak memory is its own:

- load: read the model file + build the tf.compat.v1 graph with the weights as constants
  (batch norm folded); the session's one-time set-up then runs in the background and
  finishes in the untimed warm-up pass (see benchmarks/bench_cnn_startup.py for the whole
  start-up);
- forward: one 256 x 256 pass of the network (median of ``--repeat`` after a warm-up),
  wall-clock and CPU seconds (CPU / cores is what the pass takes on an idle machine);
- colorize: a whole 1-megapixel photo (lightness, network, decoding, Lab -> RGB);
- re-decode: the same photo at a new temperature without the network (the slider);
- peak memory: the process's maximum resident set size (TensorFlow included).

Targets (issue): forward <= 0.6 s at full width, load <= 3 s, memory <= 1.5 GB,
re-decode <= 50 ms at 1 MP. The photo is ../shared/data/dev/dev_001.jpg resized to
1 MP when present, a synthetic one otherwise (said in the output). The machine's load
average is printed: on a shared machine the timings move with it.

Usage::

    python benchmarks/bench_cnn.py [--repeat 5] [--widths 1.0 0.5] [--threads 0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
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


def one_megapixel_photo() -> tuple[np.ndarray, str]:
    """A gray photo of about 1 MP (H, W) float32 in [0, 1], and where it came from."""
    import cv2

    if PHOTO.is_file():
        from colorize_app.io.media import read_image

        pixels = read_image(PHOTO).pixels
        gray = pixels if pixels.ndim == 2 else pixels @ np.array([0.299, 0.587, 0.114],
                                                                 np.float32)
        scale = (1e6 / gray.size) ** 0.5
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), str(PHOTO.name)
    yy, xx = np.mgrid[0:1000, 0:1000] / 1000
    gray = (0.5 + 0.4 * np.sin(9 * xx) * np.cos(6 * yy)).astype(np.float32)
    return gray, f"synthetic ({PHOTO} is missing)"


def worker(width: float, repeat: int, threads: int) -> dict:
    """Measure one width in this process; returns the figures."""
    from algorithms.cnn.architecture import Architecture, random_weights, widths_for_multiplier
    from algorithms.cnn.model_weights import ModelWeights
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_writer import save_model

    arch = Architecture(widths_for_multiplier(width))
    bins = np.random.default_rng(0).uniform(-90, 90, (arch.bins, 2))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.npz"
        save_model(path, ModelWeights(random_weights(arch), bins,
                                      {"input_offset": 50.0, "input_scale": 100.0}))
        import tensorflow  # noqa: F401 - imported before the clock starts (about 5 s, once)

        from algorithms.cnn.colorizer import Colorizer

        start = time.perf_counter()
        model = load_model(path)
        colorizer = Colorizer(model, threads=threads)
        load_s = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6

    network_input = np.random.default_rng(1).uniform(-0.5, 0.5, (256, 256)).astype(np.float32)
    colorizer.network.run(network_input)  # warm-up: TF optimises the graph on the first run
    forwards, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        colorizer.network.run(network_input)
        forwards.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)

    photo, source = one_megapixel_photo()
    start = time.perf_counter()
    colorizer.colorize(photo)
    colorize_s = time.perf_counter() - start
    runs = colorizer.forward_runs
    redecodes = []
    for temperature in np.linspace(0.1, 1.0, max(repeat, 5)):
        start = time.perf_counter()
        colorizer.redecode(float(temperature))
        redecodes.append(time.perf_counter() - start)
    assert colorizer.forward_runs == runs
    return {
        "width": width,
        "parameters": sum(v.size for v in model.weights.values()),
        "file_mb": size_mb,
        "load_s": load_s,
        "forward_s": float(np.median(forwards)),
        "forward_min_s": float(np.min(forwards)),
        "forward_cpu_s": float(np.median(cpu)),
        "colorize_1mp_s": colorize_s,
        "redecode_ms": 1000 * float(np.median(redecodes)),
        "photo": f"{source}, {photo.shape[1]} x {photo.shape[0]}",
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--threads", type=int, default=0, help="TF threads per op (0: all)")
    parser.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeat, args.threads)))
        return 0

    print(f"CPU cores: {os.cpu_count()}; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = []
    for width in args.widths:
        command = [sys.executable, __file__, "--worker", str(width), "--repeat",
                   str(args.repeat), "--threads", str(args.threads)]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            print(f"width {width}: failed\n{done.stderr[-2000:]}")
            return 1
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    print(f"photo for the 1 MP figures: {results[0]['photo']}")
    header = (f"{'width':>6} {'params':>11} {'file MB':>8} {'load s':>7} {'fwd 256 s':>10} "
              f"{'(best)':>7} {'CPU s':>6} {'1MP s':>6} {'redecode ms':>12} {'peak GB':>8}")
    print(header)
    for r in results:
        print(f"{r['width']:>6g} {r['parameters']:>11,} {r['file_mb']:>8.1f} {r['load_s']:>7.2f} "
              f"{r['forward_s']:>10.3f} {r['forward_min_s']:>7.3f} {r['forward_cpu_s']:>6.2f} "
              f"{r['colorize_1mp_s']:>6.2f} "
              f"{r['redecode_ms']:>12.1f} {r['peak_rss_gb']:>8.2f}")
    print("targets: full-width forward <= 0.6 s, load <= 3 s, peak <= 1.5 GB, re-decode <= 50 ms")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
