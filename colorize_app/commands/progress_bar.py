"""tqdm progress bars for the command line, fed by the engines' progress callbacks."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from algorithms.progress import ProgressCallback


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """Yield a ``progress(fraction, message)`` callback drawing a tqdm bar on stderr."""
    from tqdm import tqdm

    with tqdm(
        total=1000,
        desc=description,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}",
        leave=False,
        disable=None,  # no bar when stderr is not a terminal (pipes, CI logs)
    ) as bar:

        def update(fraction: float, message: str = "") -> None:
            bar.update(max(0, round(fraction * 1000) - bar.n))
            if message:
                bar.set_postfix_str(message, refresh=False)

        yield update
