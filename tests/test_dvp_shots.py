"""Cut detection on gray frames: one Deep Video Prior model per shot."""

from __future__ import annotations

import cv2
import numpy as np

from deep_video_prior.shots import detect_shots


def scene(seed: int, brightness: float, frame_count: int, step: int = 2) -> list[np.ndarray]:
    """A textured view panning by ``step`` pixels per frame: (60, 80) gray frames in [0, 1]."""
    noise = np.random.default_rng(seed).random((60, 80 + step * frame_count))
    texture = cv2.GaussianBlur(noise, (0, 0), 3.0)
    texture = (texture - texture.min()) / np.ptp(texture)
    frames = [texture[:, t * step:t * step + 80] for t in range(frame_count)]
    return [np.clip(brightness + 0.5 * (f - 0.5), 0, 1).astype(np.float32) for f in frames]


def test_a_two_shot_clip_is_split_at_the_cut():
    frames = scene(0, 0.35, 20) + scene(1, 0.6, 15)
    assert detect_shots(frames) == [range(0, 20), range(20, 35)]


def test_colour_frames_are_read_by_their_luminance():
    frames = [np.dstack([f] * 3) for f in scene(0, 0.35, 12) + scene(1, 0.7, 12)]
    assert detect_shots(frames) == [range(0, 12), range(12, 24)]


def test_motion_and_slow_fades_are_not_cuts():
    panning = scene(2, 0.5, 30, step=4)
    fading = [f * (1.0 - 0.02 * t) for t, f in enumerate(panning)]
    assert detect_shots(panning) == [range(0, 30)]
    assert detect_shots(fading) == [range(0, 30)]


def test_two_frames_between_cuts_are_not_a_shot_of_their_own():
    frames = scene(3, 0.4, 12) + scene(4, 0.8, 2) + scene(6, 0.3, 12)
    # Both cuts are seen; the second is within 4 frames of the first, so it is dropped.
    assert detect_shots(frames) == [range(0, 12), range(12, 26)]
    # Nor at the very end.
    assert detect_shots(scene(3, 0.4, 12) + scene(4, 0.8, 2)) == [range(0, 14)]


def test_empty_and_single_frame_videos():
    assert detect_shots([]) == []
    assert detect_shots(scene(5, 0.5, 1)) == [range(0, 1)]
