"""The temporal warping error and fidelity (docs/methods.md), on videos with known answers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from algorithms.errors import BadInputError
from algorithms.metrics import fidelity_psnr, psnr, temporal_flows, warping_error


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random gray texture (H, W) in [0.1, 0.9]: optical flow can follow it."""
    noise = np.random.default_rng(seed).random((height, width)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 2.0)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return 0.1 + 0.8 * smooth


def coloured(gray: np.ndarray) -> np.ndarray:
    """A colour version of a gray frame, the same function of the gray value everywhere."""
    return np.dstack([gray, 0.8 * gray + 0.1, 1.0 - gray]).astype(np.float32)


def test_static_video_has_no_warping_error():
    gray = texture(48, 64)
    frames = [coloured(gray)] * 4
    assert warping_error(frames, [gray] * 4) == pytest.approx(0.0, abs=1e-12)


def test_flicker_on_a_static_video_gives_the_mean_squared_frame_difference():
    gray = texture(48, 64)
    offsets = np.array([[0.0, 0.1, 0.0], [0.05, 0.0, -0.1], [0.0, 0.0, 0.0], [0.2, 0.1, 0.1]])
    frames = [np.clip(coloured(gray) * 0.5 + 0.25 + offset, 0, 1).astype(np.float32)
              for offset in offsets]
    # Still frames: zero flow, every pixel valid, so E = mean_t ||o_t - o_{t+1}||^2.
    expected = np.mean([np.sum((a - b) ** 2) for a, b in zip(offsets, offsets[1:])])
    assert warping_error(frames, [gray] * 4) == pytest.approx(expected, rel=1e-5)


def shifted_clip(frame_count: int, step: tuple[int, int]) -> list[np.ndarray]:
    """Crops of one large texture moving by ``step`` (rows, columns) pixels per frame."""
    large = texture(96, 128, seed=1)
    return [large[10 + t * step[0]:10 + t * step[0] + 64, 12 + t * step[1]:12 + t * step[1] + 80]
            for t in range(frame_count)]


def test_translated_video_with_consistent_colour_has_almost_no_error():
    gray = shifted_clip(4, (2, 3))
    consistent = [coloured(g) for g in gray]
    flickering = [np.clip(coloured(g) + [0.1 * (t % 2), 0, 0], 0, 1).astype(np.float32)
                  for t, g in enumerate(gray)]
    flows = temporal_flows(gray)
    # The view moves right and down, so the content moves left and up: the first columns
    # and rows of frame t leave the frame by t + 1, have no match and are masked out.
    for sample, mask in flows:
        assert 0.7 < mask.mean() < 1.0
        assert not mask[:, :2].any() and not mask[:1].any()
        columns = np.arange(80)[None, :]
        assert np.median(sample[..., 0][mask] - np.broadcast_to(columns, mask.shape)[mask]) \
            == pytest.approx(-3, abs=0.05)
    steady = warping_error(consistent, flows=flows)
    assert steady < 2e-4
    # A red flicker of 0.1 adds 0.1^2 on every valid pixel of every pair.
    assert warping_error(flickering, flows=flows) == pytest.approx(0.01 + steady, abs=2e-4)


def test_gray_video_gives_the_floor_and_flows_can_be_reused():
    gray = shifted_clip(3, (1, 1))
    flows = temporal_flows(gray)
    as_rgb = [np.dstack([g] * 3) for g in gray]
    assert warping_error(as_rgb, gray) == pytest.approx(warping_error(as_rgb, flows=flows))


def test_warping_error_refuses_mismatched_inputs():
    gray = [texture(16, 16)] * 3
    with pytest.raises(BadInputError, match="^warping error needs as many gray frames as "
                                            "frames, got 3 and 2$"):
        warping_error([coloured(gray[0])] * 2, gray)


def test_fidelity_is_the_mean_psnr_over_frames():
    base = [coloured(texture(16, 16, seed)) for seed in range(3)]
    noisy = [np.clip(b + 0.02 * (i + 1), 0, 1) for i, b in enumerate(base)]
    expected = np.mean([psnr(n, b) for n, b in zip(noisy, base)])
    assert fidelity_psnr(noisy, base) == pytest.approx(expected)
    assert fidelity_psnr(base, base) == float("inf")
    with pytest.raises(BadInputError, match="^cannot compare videos of 3 and 2 frames$"):
        fidelity_psnr(base, base[:2])
