"""Colour transfer from a reference photo (Welsh, Ashikhmin, Mueller, SIGGRAPH 2002).

Working space CIELAB (L in [0, 100]): the target keeps its L; only chroma (a, b)
is copied from the reference. Two modes (see docs/methods.md, 'Colour transfer'):

- whole image: the reference's L is remapped to the target's mean and standard
  deviation; about ``samples`` reference pixels are drawn by jittered sampling;
  each target pixel takes the chroma of the sample that minimises
  0.5 (L_t - L_s)^2 + 0.5 (sd_t - sd_s)^2, where sd is the standard deviation of L
  in a ``neighbourhood`` x ``neighbourhood`` window;
- swatches: each target swatch is coloured from its reference swatch by the same
  procedure; the rest of the target then takes the chroma of the best-matching
  luminance neighbourhood (L2) sampled in the coloured target swatches.

``method="plain"`` returns that per-pixel result. The default ``"propagated"``
fixes its two failures (blocky seams, colour edges that ignore luminance edges) as
Irony, Cohen-Or and Lischinski (2005) do: only confident matches are kept, as
hints, and the scribble engine (Levin et al. 2004) spreads them along luminance.
A match is confident when it is close (small feature distance) and its neighbours
in the image got the same colour (see :mod:`algorithms.transfer_hints`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter
from scipy.spatial import cKDTree

from algorithms.colorspace import is_gray, lab_lightness, lab_to_rgb_keep_lightness, rgb_to_lab
from algorithms.errors import BadInputError
from algorithms.progress import CancelCheck, ProgressCallback, Reporter
from algorithms.regions import Rect, SwatchPair, validate_regions
from algorithms.transfer_hints import propagate_confident

METHODS = ("propagated", "plain")
DEFAULT_SAMPLES = 200
DEFAULT_NEIGHBOURHOOD = 5
#: Principal components of the luminance neighbourhoods kept for the swatch search.
PATCH_COMPONENTS = 6
#: Below this standard deviation (L units) an image or swatch has no luminance to match.
FLAT_STD = 1e-3
#: Target pixels matched per chunk (progress and cancel checks between chunks).
_CHUNK_PIXELS = 1 << 18


@dataclass(frozen=True)
class TransferResult:
    """The outcome of :func:`transfer_colour`.

    Attributes
    ----------
    rgb : (H, W, 3) ndarray, float32 in [0, 1]
        The coloured target; its CIELAB L is the target's.
    warnings : tuple of str
        One-line notes for the user (gray reference, colour target, ...).
    hint_fraction : float
        Share of the pixels kept as confident hints (1.0 for ``method="plain"``, 0.0
        for a gray reference).
    """

    rgb: np.ndarray
    warnings: tuple[str, ...] = ()
    hint_fraction: float = 1.0


def _as_image(image: np.ndarray, name: str) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise BadInputError(f"the {name} must be a gray (H, W) or RGB (H, W, 3) image")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise BadInputError(f"the {name} image is empty")
    image = image.astype(np.float32, copy=False)
    if not np.isfinite(image).all():
        raise BadInputError(f"the {name} image holds NaN or infinite values")
    if image.min() < -1e-3 or image.max() > 1.0 + 1e-3:
        raise BadInputError(f"the {name} image's values must lie in [0, 1]")
    return np.clip(image, 0.0, 1.0)


def _check_options(samples: int, neighbourhood: int, method: str) -> None:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise BadInputError(f"samples must be a whole number >= 1, got {samples!r}")
    if (
        isinstance(neighbourhood, bool)
        or not isinstance(neighbourhood, (int, np.integer))
        or neighbourhood < 3
        or neighbourhood % 2 == 0
    ):
        raise BadInputError(
            f"neighbourhood must be an odd whole number >= 3, got {neighbourhood!r}"
        )
    if method not in METHODS:
        raise BadInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def neighbourhood_std(lightness: np.ndarray, size: int) -> np.ndarray:
    """Standard deviation of ``lightness`` (H, W) in each ``size`` x ``size`` window.

    Borders are mirrored. Returns (H, W) float32.
    """
    # float64 and a centred copy: E[L^2] - E[L]^2 cancels badly in float32 on flat areas.
    centred = lightness.astype(np.float64) - float(lightness.mean())
    mean = uniform_filter(centred, size, mode="reflect")
    mean_square = uniform_filter(centred * centred, size, mode="reflect")
    return np.sqrt(np.maximum(mean_square - mean * mean, 0.0)).astype(np.float32)


def jittered_samples(
    rect: Rect, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One random pixel in each cell of a grid of about ``count`` cells over ``rect``.

    Returns (rows, columns), int arrays of image coordinates. The grid follows the
    rectangle's aspect ratio and has at most one cell per pixel.
    """
    columns_of_cells = int(np.clip(round(np.sqrt(count * rect.width / rect.height)), 1, rect.width))
    rows_of_cells = int(np.clip(round(count / columns_of_cells), 1, rect.height))
    row_edges = np.linspace(0, rect.height, rows_of_cells + 1).astype(int)
    column_edges = np.linspace(0, rect.width, columns_of_cells + 1).astype(int)
    top, left = np.meshgrid(row_edges[:-1], column_edges[:-1], indexing="ij")
    cell_height, cell_width = np.meshgrid(
        np.diff(row_edges), np.diff(column_edges), indexing="ij"
    )
    rows = top + (rng.random(top.shape) * cell_height).astype(int)
    columns = left + (rng.random(left.shape) * cell_width).astype(int)
    return rows.ravel() + rect.y, columns.ravel() + rect.x


@dataclass
class _Matches:
    """Per-pixel result of a nearest-sample search over a region."""

    ab: np.ndarray  # (h, w, 2) chroma of the best sample
    distance: np.ndarray  # (h, w) its feature distance, RMS per feature (L units)


def _nearest_chroma(
    query: np.ndarray,
    sample_features: np.ndarray,
    sample_ab: np.ndarray,
    shape: tuple[int, int],
    values_per_feature: float,
    report: Reporter,
) -> _Matches:
    """Chroma of the nearest sample (Euclidean in feature space) for each query row.

    The distance returned is the root mean square over ``values_per_feature``
    compared values (2 for (L, sd); n * n for an n x n patch), so that both modes'
    distances are in L units.
    """
    tree = cKDTree(sample_features)
    ab = np.empty((len(query), 2), np.float32)
    distance = np.empty(len(query), np.float32)
    for start in range(0, len(query), _CHUNK_PIXELS):
        report(start / len(query), "matching")
        chunk = slice(start, start + _CHUNK_PIXELS)
        distance[chunk], index = tree.query(query[chunk], k=1, workers=-1)
        ab[chunk] = sample_ab[index]
    report(1.0, "matching")
    distance /= np.float32(np.sqrt(values_per_feature))
    return _Matches(ab.reshape(*shape, 2), distance.reshape(shape))


def _welsh_match(
    target_l: np.ndarray,
    target_sd: np.ndarray,
    reference_l: np.ndarray,
    reference_sd: np.ndarray,
    reference_ab: np.ndarray,
    samples: int,
    rng: np.random.Generator,
    report: Reporter,
) -> tuple[_Matches, bool]:
    """Welsh et al.'s global procedure between a target region and a reference region.

    Returns the matches and whether the reference region was flat (no luminance
    variation: every pixel then takes the region's mean chroma).
    """
    reference_std = float(reference_l.std())
    if reference_std < FLAT_STD:
        mean_ab = reference_ab.reshape(-1, 2).mean(axis=0)
        ab = np.broadcast_to(mean_ab.astype(np.float32), (*target_l.shape, 2)).copy()
        return _Matches(ab, np.zeros(target_l.shape, np.float32)), True
    # Luminance remapping: the reference's L moved to the target's mean and spread. A flat
    # target has no spread to match (a zero scale would make every sample tie): its
    # lightness is then compared with the reference's as it is.
    scale, shift = 1.0, 0.0
    if target_l.std() >= FLAT_STD:
        scale = float(target_l.std()) / reference_std
        shift = float(target_l.mean()) - scale * float(reference_l.mean())
    rows, columns = jittered_samples(Rect(0, 0, reference_l.shape[1], reference_l.shape[0]),
                                     samples, rng)
    # Equal weights 0.5 / 0.5 on both terms: plain Euclidean distance on (L, sd).
    sample_features = np.stack(
        [scale * reference_l[rows, columns] + shift, scale * reference_sd[rows, columns]], axis=1
    )
    query = np.stack([target_l.ravel(), target_sd.ravel()], axis=1)
    matches = _nearest_chroma(
        query, sample_features, reference_ab[rows, columns], target_l.shape, 2, report
    )
    return matches, False


def _patch_offsets(size: int) -> tuple[np.ndarray, np.ndarray]:
    dy, dx = np.mgrid[0:size, 0:size]
    return dy.ravel(), dx.ravel()


def _swatch_texture_match(
    target_l: np.ndarray,
    coloured_ab: np.ndarray,
    swatch_rows: np.ndarray,
    swatch_columns: np.ndarray,
    neighbourhood: int,
    rng: np.random.Generator,
    report: Reporter,
) -> _Matches:
    """Chroma for every target pixel from the best-matching sampled swatch neighbourhood.

    Neighbourhoods are compared by L2 distance, approximated in the span of their
    first principal components (computed as image filters, so no pixel loop and no
    (H * W, n * n) array).
    """
    import cv2

    half = neighbourhood // 2
    padded = np.pad(target_l, half, mode="symmetric")
    dy, dx = _patch_offsets(neighbourhood)
    sample_patches = padded[swatch_rows[:, None] + dy, swatch_columns[:, None] + dx]
    # The basis also sees patches from the whole target, whose pixels it must describe.
    extra = min(4000, target_l.size)
    extra_rows = rng.integers(0, target_l.shape[0], extra)
    extra_columns = rng.integers(0, target_l.shape[1], extra)
    basis_patches = np.vstack(
        [sample_patches, padded[extra_rows[:, None] + dy, extra_columns[:, None] + dx]]
    )
    mean_patch = basis_patches.mean(axis=0, dtype=np.float64)
    centred = basis_patches - mean_patch
    # Principal axes from the small (n*n, n*n) covariance; eigh sorts eigenvalues upwards.
    _, eigenvectors = np.linalg.eigh(centred.T @ centred)
    components = eigenvectors[:, ::-1][:, :PATCH_COMPONENTS].T.astype(np.float32)
    # BORDER_REFLECT mirrors like np.pad's "symmetric" above.
    features = np.stack(
        [
            cv2.filter2D(
                target_l, cv2.CV_32F, component.reshape(neighbourhood, neighbourhood),
                borderType=cv2.BORDER_REFLECT,
            )
            - np.float32(mean_patch @ component)
            for component in components
        ],
        axis=-1,
    )
    sample_features = features[swatch_rows, swatch_columns]
    sample_ab = coloured_ab[swatch_rows, swatch_columns]
    query = features.reshape(-1, len(components))
    return _nearest_chroma(
        query, sample_features, sample_ab, target_l.shape, neighbourhood**2, report
    )


def transfer_colour(
    target: np.ndarray,
    reference: np.ndarray,
    *,
    samples: int = DEFAULT_SAMPLES,
    neighbourhood: int = DEFAULT_NEIGHBOURHOOD,
    pairs: Sequence[SwatchPair] | None = None,
    method: str = "propagated",
    seed: int = 0,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> TransferResult:
    """Colour a gray ``target`` with the colours of a ``reference`` photo.

    Parameters
    ----------
    target : (H, W) or (H, W, 3) ndarray, float in [0, 1]
        The photo to colour. A colour photo is used for its lightness only.
    reference : (Hr, Wr, 3) ndarray, float in [0, 1]
        The colour photo to take colours from; at least ``neighbourhood`` pixels
        high and wide.
    samples : int
        Jittered samples drawn from the reference (per swatch in swatch mode).
    neighbourhood : int
        Odd window size for the luminance statistics (5 in the paper).
    pairs : sequence of SwatchPair, optional
        Swatch mode: reference rectangle -> target rectangle pairs.
    method : {"propagated", "plain"}
        "plain" is the per-pixel result of the paper; "propagated" keeps confident
        matches only and spreads them along luminance edges.
    seed : int
        Seed of the random sampling (results are reproducible).
    progress, cancelled : callables, optional
        See :mod:`algorithms.progress`.

    Returns
    -------
    TransferResult

    Raises
    ------
    BadInputError
        For a malformed image, bad options, a reference smaller than the
        neighbourhood, or swatches outside their images.
    CancelledError
        When ``cancelled()`` becomes true.
    """
    report = Reporter(progress, cancelled)
    _check_options(samples, neighbourhood, method)
    target = _as_image(target, "target")
    reference = _as_image(reference, "reference")
    warnings: list[str] = []
    if min(reference.shape[:2]) < neighbourhood:
        raise BadInputError(
            f"the reference ({reference.shape[1]}x{reference.shape[0]} pixels) is smaller "
            f"than the {neighbourhood}x{neighbourhood} neighbourhood"
        )
    if pairs is not None:
        validate_regions(pairs, target.shape, reference.shape)
    if target.ndim == 3 and not is_gray(target):
        warnings.append("the target is a colour photo: only its lightness is used")
    report(0.0, "preparing")
    target_l = lab_lightness(target).astype(np.float32)
    if is_gray(reference):
        warnings.append("the reference has no colour to give: the result is gray")
        gray = np.stack([target_l, *np.zeros((2, *target_l.shape), np.float32)], axis=-1)
        report(1.0, "done")
        return TransferResult(lab_to_rgb_keep_lightness(gray), tuple(warnings), 0.0)

    reference_lab = rgb_to_lab(reference).astype(np.float32)
    reference_l, reference_ab = reference_lab[..., 0], reference_lab[..., 1:]
    target_sd = neighbourhood_std(target_l, neighbourhood)
    reference_sd = neighbourhood_std(reference_l, neighbourhood)
    rng = np.random.default_rng(seed)
    match_stage = report.stage(0.05, 0.5 if method == "propagated" else 0.9)

    if pairs is None:
        matches, flat = _welsh_match(
            target_l, target_sd, reference_l, reference_sd, reference_ab, samples, rng,
            match_stage,
        )
        if flat:
            warnings.append(
                "the reference has uniform lightness (zero standard deviation): "
                "the whole target gets its mean colour"
            )
    else:
        matches = _match_swatches(
            target_l, target_sd, reference_l, reference_sd, reference_ab, pairs,
            samples, neighbourhood, rng, match_stage, warnings,
        )

    ab, hint_fraction = matches.ab, 1.0
    if method == "propagated":
        ab, hint_fraction = propagate_confident(
            target_l, ab, matches.distance, report.stage(0.5, 0.9)
        )
    report(0.9, "converting")
    lab = np.concatenate([target_l[..., None], ab], axis=-1)
    rgb = lab_to_rgb_keep_lightness(lab)
    report(1.0, "done")
    return TransferResult(rgb.astype(np.float32, copy=False), tuple(warnings), hint_fraction)


def _match_swatches(
    target_l: np.ndarray,
    target_sd: np.ndarray,
    reference_l: np.ndarray,
    reference_sd: np.ndarray,
    reference_ab: np.ndarray,
    pairs: Sequence[SwatchPair],
    samples: int,
    neighbourhood: int,
    rng: np.random.Generator,
    report: Reporter,
    warnings: list[str],
) -> _Matches:
    """Swatch mode: colour each target swatch from its partner, then the rest from them."""
    coloured_ab = np.zeros((*target_l.shape, 2), np.float32)
    swatch_distance = np.zeros(target_l.shape, np.float32)
    in_swatch = np.zeros(target_l.shape, bool)
    sample_rows, sample_columns = [], []
    for number, pair in enumerate(pairs, start=1):
        stage = report.stage(0.4 * (number - 1) / len(pairs), 0.4 * number / len(pairs))
        target_part, reference_part = pair.target.slices, pair.reference.slices
        matches, flat = _welsh_match(
            target_l[target_part], target_sd[target_part],
            reference_l[reference_part], reference_sd[reference_part],
            reference_ab[reference_part], samples, rng, stage,
        )
        if flat:
            warnings.append(
                f"reference swatch {number} has uniform lightness: its target swatch gets "
                "its mean colour"
            )
        coloured_ab[target_part] = matches.ab
        swatch_distance[target_part] = matches.distance
        in_swatch[target_part] = True
        rows, columns = jittered_samples(pair.target, samples, rng)
        sample_rows.append(rows)
        sample_columns.append(columns)
    matches = _swatch_texture_match(
        target_l, coloured_ab, np.concatenate(sample_rows), np.concatenate(sample_columns),
        neighbourhood, rng, report.stage(0.4, 1.0),
    )
    # Swatch pixels keep the colour their partner gave them.
    matches.ab[in_swatch] = coloured_ab[in_swatch]
    matches.distance[in_swatch] = swatch_distance[in_swatch]
    return matches
