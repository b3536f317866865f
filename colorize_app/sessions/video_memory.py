"""Whether a video's frames fit in memory for colorization: checked from the probe (or the
first frame's header), before any frame is decoded.

`colorize video`, `colorize refine` and the batch workers' video tasks call
:func:`check_video_memory` once the frames are opened: a 1.7 MB MJPEG of 12000 x 12000
frames, or a folder holding a 218 kB PNG of 15000 x 15000, would otherwise take over 6 GB
within seconds. The memory available is the same reader's as for photos
(:func:`colorize_app.runtime.system.available_memory`: the machine's or the container's
limit, the lower).

Measured with ``/usr/bin/time`` on 12-frame clips, 320 x 240 against 960 x 720 (the tiny
test model; 5 December 2026, shared 2-core machine): per-frame colorization alone grows by
about 125 bytes per frame pixel, with the default refinement by about 200, with Deep Video
Prior (``--preset network``) by about 210. The factors below keep the photo rule's 400 bytes
a pixel for the CNN and add 200 for the refinement: two to three times what was measured.
"""

from __future__ import annotations

from typing import Protocol

from algorithms.errors import MemoryBudgetError
from colorize_app.io.media import DECODE_BYTES_PER_PIXEL
from colorize_app.runtime import system
from colorize_app.sessions.memory import CNN_BYTES_PER_PIXEL


class Frames(Protocol):
    """What is needed of opened frames (``media.FrameSource``): their size and path."""

    width: int
    height: int
    path: str


#: Refinement (flow, filter or Deep Video Prior), bytes per frame pixel, besides the CNN's.
REFINE_BYTES_PER_PIXEL = 200


def video_memory_needed(width: int, height: int, *, refine: bool = True,
                        colorize: bool = True) -> int:
    """Peak bytes to colorize (``colorize``) and refine (``refine``) frames of that size."""
    per_pixel = (CNN_BYTES_PER_PIXEL if colorize else 0) + \
        (REFINE_BYTES_PER_PIXEL if refine else 0)
    # Decoding a frame alone takes what decoding a photo does.
    return int(width) * int(height) * max(per_pixel, DECODE_BYTES_PER_PIXEL)


def check_video_memory(frames: Frames, *, refine: bool = True, colorize: bool = True,
                       budget: int | None = None) -> None:
    """Refuse (``MemoryBudgetError``, one line) frames too large for the memory available.

    ``frames`` is an opened frame source (``width``, ``height``, ``path``); ``refine`` and
    ``colorize`` say which stages run; ``budget`` replaces the memory available (tests).
    """
    width, height = int(frames.width), int(frames.height)
    needed = video_memory_needed(width, height, refine=refine, colorize=colorize)
    budget = system.available_memory() if budget is None else budget
    if budget is not None and needed > budget:
        doing = "colorizing" if colorize else "refining"
        raise MemoryBudgetError(
            f"{doing} the {width} x {height} frames of {frames.path} needs about "
            f"{needed / 2**30:.1f} GB of memory but only {budget / 2**30:.1f} GB is available "
            "(machine or container limit); use a video of smaller frames")
