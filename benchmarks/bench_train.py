"""Training throughput of the Zhang network (images per second) on this machine.

For each width multiplier and crop size: the training photos (the first ``--photos`` of
../shared/data/train/, or synthetic photos when that folder is missing, said in the output)
are held in memory at short side 256, then ``--steps`` timed training steps run after two
warm-up steps. Two figures: the whole step (random crops, flips, scale jitter, Lab
conversion, soft encoding and the TensorFlow step) and the TensorFlow step alone. The
machine's load average is printed: on a shared machine the timings move with it.

Usage::

    python benchmarks/bench_train.py [--widths 0.25 0.5] [--crops 176] [--batch 16] [--steps 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

TRAIN = ROOT.parent / "shared" / "data" / "train"


def load_photos(count: int) -> tuple[list[np.ndarray], str]:
    from algorithms.cnn.training_data import prepare_photo

    if TRAIN.is_dir():
        from colorize_app.io.media import list_images, read_image

        files = list_images(TRAIN)[:count]
        photos = [prepare_photo(read_image(f).pixels) for f in files]
        photos = [p for p in photos if p.ndim == 3]
        return photos, f"{len(photos)} photos of {TRAIN}"
    print(f"note: {TRAIN} is missing; using synthetic photos", file=sys.stderr)
    rng = np.random.default_rng(0)
    photos = [prepare_photo(rng.uniform(0, 1, (256, 340, 3))) for _ in range(count)]
    return photos, f"{count} synthetic noise photos"


def measure(photos, width: float, crop: int, batch: int, steps: int) -> tuple[float, float]:
    from algorithms.cnn.architecture import Architecture, widths_for_multiplier
    from algorithms.cnn.bins import bin_distribution, derive_bins
    from algorithms.cnn.decode import rebalancing_weights
    from algorithms.cnn.train import Trainer
    from algorithms.cnn.training_data import ab_samples, random_batches

    samples = ab_samples(photos)
    bins = derive_bins(samples)
    weights = rebalancing_weights(bin_distribution(samples, bins), bins)
    arch = Architecture(widths=widths_for_multiplier(width), bins=len(bins))
    batches = random_batches(photos, crop, batch, np.random.default_rng(0))
    with Trainer(arch, bins, weights, total_steps=steps + 2) as trainer:
        for _ in range(2):
            trainer.train_step(next(batches))
        step_seconds, total = 0.0, time.perf_counter()
        for _ in range(steps):
            data = next(batches)
            start = time.perf_counter()
            trainer.train_step(data)
            step_seconds += time.perf_counter() - start
        total = time.perf_counter() - total
    return batch * steps / total, batch * steps / step_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=float, nargs="+", default=[0.25, 0.5])
    parser.add_argument("--crops", type=int, nargs="+", default=[176])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--photos", type=int, default=64)
    args = parser.parse_args()
    photos, source = load_photos(args.photos)
    print(f"data: {source}; batch {args.batch}, {args.steps} timed steps; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'width':>6} {'crop':>5} {'images/s':>9} {'TF-only images/s':>17} {'s/step':>7}")
    for width in args.widths:
        for crop in args.crops:
            rate, tf_rate = measure(photos, width, crop, args.batch, args.steps)
            print(f"{width:>6g} {crop:>5d} {rate:>9.2f} {tf_rate:>17.2f} "
                  f"{args.batch / rate:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
