"""Whether a photo fits in memory for a method: one rule, and one message, for the command
line and the windows.

Each method's peak memory is estimated from the photo's size alone (so a photo is refused
from its header, before anything is decoded) and compared with what this process may still
allocate: the machine's available memory or the container's limit, the lower
(:func:`colorize_app.runtime.system.available_memory`). A photo that does not fit raises
``MemoryBudgetError`` with one line, e.g. ``colorizing the 15000 x 15000 photo big.png needs
about 83.8 GB of memory but only 1.0 GB is available (machine or container limit); use a
smaller image``.
"""

from __future__ import annotations

from colorize_app.io import media
from colorize_app.io.safe_files import PathLike
from colorize_app.runtime import system

#: The methods :func:`check_photo_memory` knows.
METHODS = ("scribble", "transfer", "cnn")
#: Scribble colorization: decoded images held besides the solver's system (photo, marked
#: image, mask, hints, result), bytes per pixel.
SCRIBBLE_IMAGE_BYTES_PER_PIXEL = 100
#: Colour transfer: peak bytes per pixel of target and reference together: measured about
#: 120 (two 1 MP photos, 343 MB peak including the interpreter); 300 leaves headroom.
TRANSFER_BYTES_PER_PIXEL = 300
#: Automatic colorization: peak bytes per photo pixel besides the network (decoding, Lab,
#: upsampling, encoding): measured about 300 at 1 MP; at the photo's own size
#: (``native``) the network runs at full size as well.
CNN_BYTES_PER_PIXEL = 400
NATIVE_BYTES_PER_PIXEL = 4000


def memory_needed(method: str, shape: tuple[int, int], *, radius: int = 1,
                  max_solve_pixels: float | None = None, native: bool = False,
                  reference_shape: tuple[int, int] | None = None) -> int:
    """Peak bytes ``method`` needs for a photo of ``shape`` (height, width) in pixels.

    ``radius`` and ``max_solve_pixels`` are the scribble solver's (None: its default;
    ``math.inf``: an exact solve at full size); ``native`` runs the CNN at the photo's size;
    ``reference_shape`` is colour transfer's reference photo (height, width), counted with
    the target.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    height, width = int(shape[0]), int(shape[1])
    pixels = height * width
    if method == "scribble":
        # Imported here: the solver's SciPy is not for the other methods to load.
        from algorithms.scribble import MAX_SOLVE_PIXELS, estimate_memory

        solve = estimate_memory((height, width), radius,
                                MAX_SOLVE_PIXELS if max_solve_pixels is None else max_solve_pixels)
        return solve + pixels * SCRIBBLE_IMAGE_BYTES_PER_PIXEL
    if method == "transfer":
        reference = 0 if reference_shape is None else \
            int(reference_shape[0]) * int(reference_shape[1])
        return (pixels + reference) * TRANSFER_BYTES_PER_PIXEL
    return pixels * (NATIVE_BYTES_PER_PIXEL if native else CNN_BYTES_PER_PIXEL)


def check_photo_memory(method: str, shape: tuple[int, int], photo: PathLike, *,
                       radius: int = 1, max_solve_pixels: float | None = None,
                       native: bool = False,
                       reference_shape: tuple[int, int] | None = None,
                       as_reference: bool = False) -> None:
    """Refuse (``MemoryBudgetError``, one line) a photo of ``shape`` (height, width) that
    ``method`` could not colorize in the memory available now.

    ``photo`` is the file named in the message (the target, for colour transfer); the
    options are :func:`memory_needed`'s. The words are the command line's: ``colorizing the
    W x H photo PATH needs about ... GB of memory but only ... GB is available (machine or
    container limit); use a smaller image`` (``colour transfer onto the W x H photo PATH``
    for colour transfer; ``colour transfer from the W x H photo PATH`` with
    ``as_reference``, for a reference opened before its target).
    """
    needed = memory_needed(method, shape, radius=radius, max_solve_pixels=max_solve_pixels,
                           native=native, reference_shape=reference_shape)
    height, width = int(shape[0]), int(shape[1])
    doing = "colorizing" if method != "transfer" else \
        "colour transfer from" if as_reference else "colour transfer onto"
    system.check_memory(needed, f"{doing} the {width} x {height} photo {photo}")


def check_photo_file_memory(method: str, photo: PathLike, *, radius: int = 1,
                            max_solve_pixels: float | None = None, native: bool = False,
                            reference_shape: tuple[int, int] | None = None
                            ) -> tuple[int, int]:
    """:func:`check_photo_memory` for the image file ``photo``, from its header alone
    (nothing decoded); returns its (height, width). Unreadable files raise BadInputError
    (one line), as :func:`colorize_app.io.media.image_size` does."""
    width, height = media.image_size(photo)
    check_photo_memory(method, (height, width), photo, radius=radius,
                       max_solve_pixels=max_solve_pixels, native=native,
                       reference_shape=reference_shape)
    return height, width
