"""Fuzz every parser for a bounded time: ``make fuzz`` (or ``python fuzz/run.py``).

Each target of ``fuzz/targets.py`` runs in its own process under atheris (libFuzzer,
coverage-guided on the project's own modules), starting from the targets' seed files, for
``--seconds`` seconds, with libFuzzer's memory limit (``-rss_limit_mb``) and per-input
time limit (``-timeout``): a crash, a hang or too much memory stops that target and keeps
the input under ``build/fuzz/<target>/``. Without atheris (``--engine mutate``, or when it
is not installed) a plain random-mutation loop runs instead, with the same contract and an
alarm for hangs. A table of runs per target is printed at the end; the exit code is 1 when
any target failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
OUTPUT = REPOSITORY / "build" / "fuzz"
sys.path.insert(0, str(REPOSITORY))

#: libFuzzer limits: memory per process and time per input.
RSS_LIMIT_MB = 3072
INPUT_TIMEOUT_S = 20
MAX_LEN = 1 << 20
#: The modules whose code the fuzzers try to cover (atheris instruments them).
PARSER_MODULES = (
    "algorithms.regions", "algorithms.scribble", "algorithms.cnn.decode",
    "algorithms.cnn.model_weights", "colorize_app.io.torch_pickle", "colorize_app.io.media",
    "colorize_app.io.video_in", "colorize_app.io.project", "colorize_app.documents.strokes",
    "colorize_app.documents.swatches",
)


def _child_atheris(name: str, seconds: int) -> None:
    import atheris

    # Coverage comes from the modules first imported inside this block: import every parser.
    with atheris.instrument_imports(include=["algorithms", "colorize_app"]):
        import importlib

        for module in PARSER_MODULES:
            try:
                importlib.import_module(module)
            except ImportError:  # e.g. the video reader in a checkout without it
                pass
        from fuzz.targets import TARGETS, check, seeds
    target = TARGETS[name]
    corpus = OUTPUT / name / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for number, seed in enumerate(seeds(name)):
        (corpus / f"seed{number}").write_bytes(seed)

    def one_input(data: bytes) -> None:
        check(target, data)

    arguments = [sys.argv[0], str(corpus), f"-max_total_time={seconds}",
                 f"-rss_limit_mb={RSS_LIMIT_MB}", f"-timeout={INPUT_TIMEOUT_S}",
                 f"-max_len={MAX_LEN}", f"-artifact_prefix={OUTPUT / name}/",
                 "-print_final_stats=1"]
    atheris.Setup(arguments, one_input)
    atheris.Fuzz()


def _child_mutate(name: str, seconds: int) -> None:
    import signal

    from fuzz.targets import TARGETS, check, seeds

    target, pool = TARGETS[name], seeds(name) or [b""]
    rng = random.Random(name)
    runs, end = 0, time.monotonic() + seconds

    def hang(*_):
        raise TimeoutError(f"one input ran over {INPUT_TIMEOUT_S} s")

    signal.signal(signal.SIGALRM, hang)
    while time.monotonic() < end:
        data = bytearray(rng.choice(pool))
        roll = rng.random()
        if roll < 0.3:
            data = data[:rng.randrange(len(data) + 1)]
        elif roll < 0.9:
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            data = bytearray(rng.randbytes(rng.randrange(400)))
        signal.alarm(INPUT_TIMEOUT_S)
        try:
            check(target, bytes(data))
        except BaseException:
            (OUTPUT / name).mkdir(parents=True, exist_ok=True)
            (OUTPUT / name / f"crash-{runs}").write_bytes(bytes(data))
            raise
        finally:
            signal.alarm(0)
        runs += 1
    print(f"stat::number_of_executed_units: {runs}", file=sys.stderr)


def _run_target(name: str, seconds: int, engine: str) -> dict:
    started = time.monotonic()
    (OUTPUT / name).mkdir(parents=True, exist_ok=True)
    log = OUTPUT / name / "log.txt"
    environment = dict(os.environ, OPENCV_LOG_LEVEL="SILENT", TF_CPP_MIN_LOG_LEVEL="3")
    with open(log, "w") as output:
        code = subprocess.call(
            [sys.executable, __file__, "--child", name, "--engine", engine,
             "--seconds", str(seconds)],
            stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=REPOSITORY,
            timeout=seconds + 600)
    text = log.read_text(errors="replace")
    found = re.findall(r"stat::number_of_executed_units: (\d+)", text)
    runs = int(found[-1]) if found else 0
    status = "ok" if code == 0 else "FAILED"
    for pattern, label in (("out-of-memory", "FAILED (memory)"), ("timeout", "FAILED (hang)")):
        if code != 0 and re.search(rf"ERROR: libFuzzer: {pattern}", text):
            status = label
    return {"target": name, "runs": runs, "seconds": round(time.monotonic() - started),
            "status": status, "log": str(log)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 60)),
                        help="time per target (default 60, or $FUZZ_SECONDS)")
    parser.add_argument("--targets", help="comma-separated target names (default: all)")
    parser.add_argument("--engine", choices=("atheris", "mutate"), default=None,
                        help="atheris when installed, else a random-mutation loop")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine is None:
        try:
            import atheris  # noqa: F401
            args.engine = "atheris"
        except ImportError:
            print("atheris is not installed: using the random-mutation loop "
                  "(pip install atheris for coverage-guided fuzzing)", file=sys.stderr)
            args.engine = "mutate"
    if args.child:
        (_child_atheris if args.engine == "atheris" else _child_mutate)(args.child, args.seconds)
        return 0
    from fuzz.targets import TARGETS, seeds

    names = args.targets.split(",") if args.targets else list(TARGETS)
    results = []
    for name in names:
        if not seeds(name):
            print(f"{name}: skipped (no seed files)", file=sys.stderr)
            continue
        print(f"fuzzing {name} for {args.seconds} s ({args.engine})...", file=sys.stderr)
        results.append(_run_target(name, args.seconds, args.engine))
    print("\n| target | engine | seconds | inputs run | result |\n|---|---|---|---|---|")
    for result in results:
        print(f"| {result['target']} | {args.engine} | {result['seconds']} | "
              f"{result['runs']:,} | {result['status']} |")
    failed = [r for r in results if r["status"] != "ok"]
    for result in failed:
        print(f"{result['target']}: see {result['log']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
