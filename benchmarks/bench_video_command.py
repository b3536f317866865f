"""The whole `colorize video` as a user waits for it: start-up, per-frame CNN, refinement, writing.

The goat clip's gray frames (``../shared/data/video/goat/gray``, 480 px wide) are enlarged to
854x480 (bicubic) and encoded as an H.264 video of 90 frames, the size of issue 29's
measurement. Each preset then runs as its own process, ``python -m colorize_app.cli video
IN -o OUT.mp4 --preset P``, each ``--repeats`` times in turn, and the script prints the wall
seconds (from start to exit, TensorFlow's import included), the process's CPU seconds and
the 1-minute load average before and after each run: on a shared machine compare runs
made together, and take the figures of the lowest load.

``--model`` passes a model file or name (default: the shipped default model).

Usage::

    python benchmarks/bench_video_command.py [--presets fast balanced best]
        [--frames 90] [--repeats 1] [--model M]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = ROOT.parent / "shared" / "data" / "video" / "goat" / "gray"
SIZE = (854, 480)


def make_video(frames: Path, count: int, target: Path) -> None:
    """The first ``count`` JPEG frames of ``frames``, enlarged to SIZE, as an H.264 video."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate",
               "30", "-i", str(frames / "%05d.jpg"), "-frames:v", str(count), "-vf",
               f"scale={SIZE[0]}:{SIZE[1]}:flags=bicubic,format=yuv420p", "-c:v", "libx264",
               "-crf", "18", str(target)]
    subprocess.run(command, check=True)


def load() -> float:
    return os.getloadavg()[0]


def run_command(video: Path, output: Path, preset: str, model: str | None) -> tuple:
    """(wall s, CPU s, exit code) of one whole `colorize video` process."""
    command = [sys.executable, "-m", "colorize_app.cli", "video", str(video), "-o",
               str(output), "--preset", preset]
    if model:
        command += ["--model", model]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode:
        print(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed")
    return wall, cpu, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP,
                        help="folder of JPEG frames 00000.jpg, ...")
    parser.add_argument("--presets", nargs="*", default=["fast", "balanced", "best"])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--model", help="model name or file (default: the shipped default)")
    args = parser.parse_args()
    if not args.clip.is_dir():
        print(f"no video frames at {args.clip}: nothing measured")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "clip.mp4"
        make_video(args.clip, args.frames, video)
        print(f"`colorize video` whole process: {args.clip} ({args.frames} frames enlarged to "
              f"{SIZE[0]}x{SIZE[1]}, H.264), output .mp4; {os.cpu_count()} CPU cores, "
              f"shared: load is the 1-minute average")
        print("| preset | wall s | CPU s | load before -> after |")
        print("|---|---|---|---|")
        for _ in range(args.repeats):
            for preset in args.presets:
                output = Path(folder) / f"{preset}.mp4"
                load_before = load()
                wall, cpu, code = run_command(video, output, preset, args.model)
                failed = f" (exit {code})" if code else ""
                print(f"| {preset}{failed} | {wall:.1f} | {cpu:.1f} | {load_before:.1f} -> "
                      f"{load():.1f} |", flush=True)
                output.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
