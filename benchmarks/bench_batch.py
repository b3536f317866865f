"""Throughput of `colorize batch cnn` (a local Dask cluster) against the plain `colorize cnn` loop.

N dev photos (../shared/data/dev, cycled) are resized to 1 MP and saved as gray JPEGs;
both commands colour the same folder with the same model and settings, each as a fresh
process, so each wall time includes Python, TensorFlow and model start-up:

- single: `colorize cnn FOLDER -o OUT` (one process, TensorFlow on all cores);
- batch: `colorize batch cnn FOLDER -o OUT --workers W` (W worker processes, one core each).

From the batch job's manifest (each photo's seconds, each worker's model-load seconds) the
script then derives the cost per photo as the batch grows (start-up and model loads shared
by more photos) and a paper estimate for 100,000 photos on N workers. The client's own cost
per result (a manifest line synced to disk) is measured too: it bounds any cluster's rate.
On a shared machine the absolute times move with its load (printed): read the ratios.

Usage::

    python benchmarks/bench_batch.py [--photos 200] [--workers 2] [--model NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "dev"
COLORIZE = [sys.executable, "-m", "colorize_app.cli"]


def make_photos(folder: Path, count: int) -> str:
    """``count`` gray 1-MP JPEGs in ``folder``; returns where they came from."""
    import cv2

    from algorithms.colorspace import luminance
    from colorize_app.io import media

    sources = sorted(DATA.glob("*.jpg")) if DATA.is_dir() else []
    rng = np.random.default_rng(0)
    for index in range(count):
        if sources:
            pixels = media.read_image(sources[index % len(sources)]).pixels
            gray = luminance(pixels).astype(np.float32)
        else:
            gray = rng.random((750, 1000)).astype(np.float32)
        scale = (1e6 / gray.size) ** 0.5
        size = (round(gray.shape[1] * scale), round(gray.shape[0] * scale))
        resized = cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)
        media.write_image(folder / f"photo_{index:04d}.jpg", resized)
    return f"{len(sources)} dev photos, cycled" if sources else "synthetic (no dev photos)"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return seconds


def manifest_costs(folder: Path) -> tuple[list[float], list[float], int]:
    """(per-photo seconds without model loads, model-load seconds, workers) of a job."""
    photos, loads, workers = [], [], set()
    with open(folder / "colorize-batch.jsonl", encoding="utf-8") as file:
        for line in file:
            record = json.loads(line)
            if record.get("status") != "done":
                continue
            load = record.get("model_load_s", 0.0)
            photos.append(record["seconds"] - load)
            if load:
                loads.append(load)
            workers.add(record["worker"])
    return photos, loads, len(workers)


def client_cost_per_result(count: int = 500) -> float:
    """Seconds the client spends per result on its manifest line (written and synced)."""
    from colorize_app.io.batch_files import Manifest

    with tempfile.TemporaryDirectory() as folder, Manifest(folder) as manifest:
        started = time.perf_counter()
        for index in range(count):
            manifest.append({"output": f"p{index}.png", "status": "done", "seconds": 0.5,
                             "fingerprint": [123456, 1700000000000000000], "settings": "k"})
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default=None, help="model name or file (default: shipped)")
    args = parser.parse_args()
    model = ["--model", args.model] if args.model else []
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "photos"
        folder.mkdir()
        origin = make_photos(folder, args.photos)
        print(f"{args.photos} photos at 1 MP ({origin})")
        single = timed([*COLORIZE, "cnn", str(folder), "-o", f"{temporary}/single", *model])
        print(f"load average: {os.getloadavg()[0]:.1f}")
        out = Path(temporary) / "batch"
        batch = timed([*COLORIZE, "batch", "cnn", str(folder), "-o", str(out),
                       "--workers", str(args.workers), *model])
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        photos, loads, workers = manifest_costs(out)
    per_photo = float(np.mean(photos))
    load = float(np.mean(loads)) if loads else 0.0
    startup = max(0.0, batch - (sum(photos) + sum(loads)) / max(workers, 1))
    print(f"\nsingle process loop: {single:7.1f} s  {args.photos / single:5.2f} photos/s")
    print(f"local cluster ({workers} workers): {batch:7.1f} s  {args.photos / batch:5.2f} "
          f"photos/s  ratio {single / batch:.2f}x")
    print(f"per photo on one worker: {per_photo:.2f} s; model load per worker: {load:.1f} s; "
          f"cluster start-up and the rest: {startup:.1f} s")
    print("\ncost per photo as the batch grows (start-up and loads shared; derived):")
    for count in (1, 10, 100, 1000, 10000):
        total = startup + load + count * per_photo / workers
        print(f"  {count:6d} photos: {total / count:6.2f} s per photo (wall, {workers} workers)")
    client = client_cost_per_result()
    print(f"\nclient cost per result (manifest line synced): {client * 1e3:.2f} ms "
          f"-> at most {1 / client:.0f} photos/s whatever the cluster")
    print("paper estimate, 100,000 photos at 1 MP (one core per worker, this machine's speed):")
    for count in (2, 8, 32, 128):
        rate = min(count / per_photo, 1 / client)
        hours = (startup + load + 100_000 / rate) / 3600
        print(f"  {count:4d} workers: {hours:6.1f} h ({rate:.1f} photos/s)")


if __name__ == "__main__":
    main()
