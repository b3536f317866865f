"""Refinement by the motion filter (the default): local colour kept, flicker removed."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from algorithms.colorspace import luminance
from algorithms.errors import BadInputError
from algorithms.metrics import warping_error
from deep_video_prior import RefineSettings
from deep_video_prior.pipeline import refine_video
from deep_video_prior.temporal import flow_filter, rgb_to_ab, stabilise_chroma

HEIGHT, WIDTH, FRAMES = 72, 128, 12
# Light red, dark blue, mid green (CIELAB L about 65, 30, 50): the shapes differ in gray too.
RED, BLUE, GREEN = (0.95, 0.45, 0.4), (0.15, 0.25, 0.75), (0.35, 0.55, 0.3)


def shape_masks(t: int) -> tuple[np.ndarray, np.ndarray]:
    """A disc moving right and a square moving left by 3 pixels a frame (never touching)."""
    rows, columns = np.mgrid[:HEIGHT, :WIDTH]
    disc = (rows - 18) ** 2 + (columns - 25 - 3 * t) ** 2 < 13**2
    square = (np.abs(rows - 54) < 12) & (np.abs(columns - 100 + 3 * t) < 12)
    return disc, square


def true_frame(t: int) -> np.ndarray:
    disc, square = shape_masks(t)
    frame = np.broadcast_to(np.array(GREEN, np.float32), (HEIGHT, WIDTH, 3)).copy()
    # Gentle shading and texture, so that the optical flow has something to follow.
    rows, columns = np.mgrid[:HEIGHT, :WIDTH]
    frame *= (0.9 + 0.1 * np.sin(columns / 5.0) * np.cos(rows / 7.0))[..., None]
    frame[disc] = RED
    frame[square] = BLUE
    return np.clip(frame, 0, 1).astype(np.float32)


def global_flicker(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each frame's a and b scaled by 0.6..1.4 and shifted by -10..10."""
    lab = cv2.cvtColor(frame, cv2.COLOR_RGB2Lab)
    lab[..., 1:] = lab[..., 1:] * rng.uniform(0.6, 1.4, 2) + rng.uniform(-10, 10, 2)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), 0, 1)


def flickering_clip(seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = [true_frame(t) for t in range(FRAMES)]
    gray = [luminance(frame).astype(np.float32) for frame in truth]
    return gray, [global_flicker(frame, rng) for frame in truth], truth


def refine(gray, processed, settings=None):
    settings = settings or RefineSettings()
    written = []
    refine_video(gray, processed, lambda index, frame: written.append(frame),
                 settings=settings)
    return written


def inner(mask: np.ndarray) -> np.ndarray:
    """The mask without its 3-pixel border (colour at edges is judged elsewhere)."""
    return cv2.erode(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)


def mean_ab(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return rgb_to_ab(frame)[mask].mean(axis=0)


def test_each_shape_and_the_background_keep_their_own_colour_under_global_flicker():
    gray, processed, truth = flickering_clip()
    refined = refine(gray, processed)
    assert len(refined) == FRAMES
    errors, input_errors = [], []
    for t in range(FRAMES):
        disc, square = shape_masks(t)
        background = ~cv2.dilate((disc | square).astype(np.uint8),
                                 np.ones((9, 9), np.uint8)).astype(bool)
        for mask in (inner(disc), inner(square), background):
            true = mean_ab(truth[t], mask)
            errors.append(np.linalg.norm(mean_ab(refined[t], mask) - true))
            input_errors.append(np.linalg.norm(mean_ab(processed[t], mask) - true))
    # Every region of every frame within 8 a/b units of its true colour, where the
    # flickering input is off by over 10 on average. (The steady colour is the flicker's
    # typical one, not the truth: here the median frame's a is about 1.1 times the true a.)
    assert max(errors) < 8.0, errors
    assert np.mean(input_errors) > 10.0
    assert np.mean(errors) < 0.3 * np.mean(input_errors)
    assert warping_error(refined, gray) < 0.5 * warping_error(processed, gray)
    for g, frame in zip(gray, refined):
        assert np.abs(luminance(frame) - g).max() < 1e-5


def test_a_colour_edge_on_a_lightness_edge_stays_sharp_after_upsampling():
    # Left: light orange, right: dark blue, split at column 101 (not on the 4x coarse grid).
    height, width, split = 96, 256, 101
    frame = np.empty((height, width, 3), np.float32)
    frame[:, :split] = (0.9, 0.6, 0.3)
    frame[:, split:] = (0.1, 0.15, 0.5)
    gray = [luminance(frame).astype(np.float32)] * 3
    # Working at a quarter of each side: plain resizing would blend 4 pixels either side.
    settings = RefineSettings(working_pixels=32 * 64)
    refined = refine(gray, [frame] * 3, settings)
    truth_ab = rgb_to_ab(frame)
    for columns in (slice(split - 3, split), slice(split, split + 3)):
        got = rgb_to_ab(refined[1])[:, columns].reshape(-1, 2)
        want = truth_ab[:, columns].reshape(-1, 2)
        assert np.linalg.norm(got - want, axis=1).max() < 6.0


def test_stabiliser_undoes_a_per_frame_gain_and_offset():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 10, (16, 24, 2)).astype(np.float32) + (5, -8)
    frames = [base * g + o for g, o in zip(rng.uniform(0.7, 1.3, (9, 1)),
                                           rng.uniform(-6, 6, (9, 2)))]
    frames[4] = base.copy()  # the median frame is the true one here only by chance: any
    stable = stabilise_chroma(frames, window=10)  # frame's result differs from the others'
    for frame in stable[1:]:                       # by far less than the input's did
        assert np.abs(frame - stable[0]).max() < 0.05 * np.abs(base).max()
    assert stabilise_chroma(frames, window=0)[3] is not None


def test_flow_filter_keeps_a_still_frame_and_averages_flicker():
    gray = [np.tile(np.linspace(0, 1, 40, dtype=np.float32), (30, 1))] * 20
    rng = np.random.default_rng(2)
    colour = [np.full((30, 40, 2), 10.0, np.float32) + rng.normal(0, 3, 2).astype(np.float32)
              for _ in gray]
    filtered = flow_filter(gray, colour, strength=0.9)
    spread_before = np.std([c[15, 20] for c in colour], axis=0)
    spread_after = np.std([c[15, 20] for c in filtered], axis=0)
    assert np.all(spread_after < 0.5 * spread_before)
    assert abs(np.mean([c.mean() for c in filtered]) - 10.0) < 1.5
    with pytest.raises(ValueError, match="strength"):
        flow_filter(gray, colour, strength=1.0)


def test_bad_filter_settings_give_one_line_messages():
    gray, processed, _ = flickering_clip()
    with pytest.raises(BadInputError, match="^method must be 'filter' or 'network', got 'x'$"):
        refine(gray[:2], processed[:2], dataclasses.replace(RefineSettings(), method="x"))
    with pytest.raises(BadInputError, match="^flow preset must be one of"):
        refine(gray[:2], processed[:2], dataclasses.replace(RefineSettings(), flow_preset="y"))
