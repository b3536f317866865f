"""Training data on in-memory photos: resizing, colour check, random crops, Lab batches.

Photos are kept as uint8 RGB (H, W, 3) at a short side of 256 (a 1,366-photo set is then
about 0.4 GB); each batch is cut from them with random crops, horizontal flips and scale
jitter, and converted to CIELAB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from algorithms.cnn.train import Batch
from algorithms.colorspace import rgb_to_lab
from algorithms.errors import BadInputError, SettingError

#: Short side of the photos kept in memory.
STORED_SHORT_SIDE = 256
#: A photo whose 99th-percentile chroma is below this (ab units) has no colour to learn.
MIN_CHROMA = 3.0
#: Scale jitter: the crop window is up to this many times the crop size before resizing.
MAX_ZOOM_OUT = 1.5


def prepare_photo(rgb: np.ndarray, short_side: int = STORED_SHORT_SIDE) -> np.ndarray:
    """RGB (H, W, 3) float in [0, 1] -> uint8 RGB with the short side ``short_side``."""
    import cv2

    rgb = np.asarray(rgb, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise BadInputError(f"training photos must be RGB (H, W, 3), got {rgb.shape}")
    height, width = rgb.shape[:2]
    scale = short_side / min(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(rgb, size, interpolation=interpolation)
    return np.round(np.clip(resized, 0.0, 1.0) * 255.0).astype(np.uint8)


def has_colour(rgb: np.ndarray) -> bool:
    """True when a photo (H, W) or (H, W, 3) carries colour worth learning from."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3:
        return False
    sample = rgb[::4, ::4]
    ab = rgb_to_lab(_unit(sample))[..., 1:]
    chroma = np.sqrt((ab**2).sum(axis=-1))
    return bool(np.percentile(chroma, 99) >= MIN_CHROMA)


def _unit(photo: np.ndarray) -> np.ndarray:
    photo = np.asarray(photo)
    if photo.dtype == np.uint8:
        return photo.astype(np.float32) / 255.0
    return photo.astype(np.float32)


def ab_samples(photos: Sequence[np.ndarray], stride: int = 4) -> np.ndarray:
    """ab (M, 2) of every ``stride``-th pixel of each photo (for bins and the prior)."""
    parts = [rgb_to_lab(_unit(p[::stride, ::stride]))[..., 1:].reshape(-1, 2) for p in photos]
    if not parts:
        raise BadInputError("no photos to sample ab from")
    return np.concatenate(parts)


def lab_batch(crops: Sequence[np.ndarray]) -> Batch:
    """uint8 RGB crops (all the same size) -> a :class:`Batch` of L and ab."""
    lab = np.stack([rgb_to_lab(_unit(crop)) for crop in crops]).astype(np.float32)
    return Batch(lightness=lab[..., 0], ab=lab[..., 1:])


def random_crop(photo: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """A random square ``crop`` x ``crop`` of ``photo``, scale-jittered and maybe flipped."""
    import cv2

    height, width = photo.shape[:2]
    largest = min(height, width)
    window = int(round(crop * rng.uniform(1.0, MAX_ZOOM_OUT)))
    window = max(1, min(window, largest))
    top = int(rng.integers(0, height - window + 1))
    left = int(rng.integers(0, width - window + 1))
    patch = photo[top:top + window, left:left + window]
    if window != crop:
        interpolation = cv2.INTER_AREA if window > crop else cv2.INTER_CUBIC
        patch = cv2.resize(patch, (crop, crop), interpolation=interpolation)
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return np.ascontiguousarray(patch)


def random_batches(photos: Sequence[np.ndarray], crop: int, batch: int,
                   rng: np.random.Generator) -> Iterator[Batch]:
    """Endless batches of random crops; ``rng`` is advanced, so its state can be saved."""
    if crop < 8 or crop % 8:
        raise SettingError("crop", f"must be a multiple of 8, got {crop}")
    if not photos:
        raise BadInputError("no training photos")
    while True:
        chosen = rng.integers(0, len(photos), size=batch)
        yield lab_batch([random_crop(photos[i], crop, rng) for i in chosen])


def centre_crops(photos: Sequence[np.ndarray], size: int) -> Batch:
    """The central ``size`` x ``size`` square of each photo (validation)."""
    crops = []
    for photo in photos:
        height, width = photo.shape[:2]
        if min(height, width) < size:
            raise BadInputError(f"validation photo smaller than {size} pixels")
        top, left = (height - size) // 2, (width - size) // 2
        crops.append(photo[top:top + size, left:left + size])
    return lab_batch(crops)
