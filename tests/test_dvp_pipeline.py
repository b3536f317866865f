"""Video refinement end to end on small synthetic clips (docs/methods.md, 'Video refinement')."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from algorithms.colorspace import (
    join_luminance_chroma,
    join_luminance_chroma_in_gamut,
    luminance,
    rgb_to_yiq,
    yiq_to_rgb,
)
from algorithms.errors import BadInputError, CancelledError, ColorizeError
from algorithms.metrics import warping_error
from colorize_app.io.shot_checkpoints import ShotCheckpoints
from deep_video_prior import RefineSettings, pipeline
from deep_video_prior.pipeline import refine_video
from deep_video_prior.settings import NETWORK

#: Small enough to learn the clip below in about 300 steps (the defaults are for real videos).
QUALITY = dataclasses.replace(NETWORK, epochs=20, width=8, working_pixels=32 * 64,
                              warmup_epochs=8)
#: For the tests of the plumbing only.
FAST = dataclasses.replace(NETWORK, epochs=2, width=4, working_pixels=32 * 64,
                           warmup_epochs=1)
HEIGHT, WIDTH = 32, 64
# Light red, dark blue, mid green: the shapes differ from the background in gray too.
RED, BLUE, GREEN = (0.95, 0.45, 0.4), (0.1, 0.2, 0.7), (0.3, 0.5, 0.25)


def shape_masks(t: int) -> tuple[np.ndarray, np.ndarray]:
    """A disc moving right and a square moving left, at frame t."""
    rows, columns = np.mgrid[:HEIGHT, :WIDTH]
    disc = (rows - 14) ** 2 + (columns - 12 - 2 * t) ** 2 < 7**2
    square = (np.abs(rows - 18) < 6) & (np.abs(columns - 50 + t) < 6)
    return disc, square


def true_frame(t: int, scene: int = 0) -> np.ndarray:
    disc, square = shape_masks(t)
    background = np.array(GREEN if scene == 0 else (0.7, 0.6, 0.4), np.float32)
    frame = np.broadcast_to(background, (HEIGHT, WIDTH, 3)).copy()
    # A gentle vertical shading, so that gray levels vary inside every region.
    frame *= np.linspace(0.9, 1.05, HEIGHT, dtype=np.float32)[:, None, None]
    frame[disc] = RED
    frame[square] = BLUE
    return np.clip(frame, 0, 1)


def jittered(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The frame's chroma turned by up to 20 degrees and scaled by 0.7..1.3: flicker."""
    yiq = rgb_to_yiq(frame)
    angle, gain = np.deg2rad(rng.uniform(-20, 20)), rng.uniform(0.7, 1.3)
    rotation = gain * np.array([[np.cos(angle), -np.sin(angle)],
                                [np.sin(angle), np.cos(angle)]])
    yiq[..., 1:] = yiq[..., 1:] @ rotation.T
    return yiq_to_rgb(yiq).astype(np.float32)


def clip(frame_count: int = 10, cut_at: int | None = None, seed: int = 0):
    """(gray frames (H, W), flickering per-frame colour, true colour)."""
    rng = np.random.default_rng(seed)
    truth = [true_frame(t, scene=int(cut_at is not None and t >= cut_at))
             for t in range(frame_count)]
    gray = [luminance(frame).astype(np.float32) for frame in truth]
    return gray, [jittered(frame, rng) for frame in truth], truth


def refine(gray, processed, **options):
    written = {}

    def write(index, frame):
        assert index not in written and index == len(written)
        written[index] = frame

    report = refine_video(gray, processed, write, **options)
    return [written[i] for i in range(len(gray))], report


def hue_and_chroma(frame: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    i, q = rgb_to_yiq(frame)[mask][:, 1:].mean(axis=0)
    return float(np.degrees(np.arctan2(q, i))), float(np.hypot(i, q))


def test_refinement_removes_flicker_and_keeps_the_shapes_colours():
    gray, processed, truth = clip()
    refined, report = refine(gray, processed, settings=QUALITY)
    assert report.shots == [range(0, 10)] and report.frames == 10
    before, after = warping_error(processed, gray), warping_error(refined, gray)
    assert after < 0.5 * before
    for t in (2, 7):
        disc, square = shape_masks(t)
        for mask in (disc, square):
            inner = mask & ~np.roll(mask, 2, 0) & ~np.roll(mask, -2, 1)  # away from edges
            hue, chroma = hue_and_chroma(refined[t], inner)
            true_hue, true_chroma = hue_and_chroma(truth[t], inner)
            # Within the per-frame jitter of the truth (+-20 degrees; the consistent colour
            # need not be the truth itself: it may be the average or one mode of the flicker),
            # plus 10 degrees for what 20 epochs of a width-8 network leave.
            assert abs((hue - true_hue + 180) % 360 - 180) < 30
            assert 0.6 * true_chroma < chroma < 1.5 * true_chroma


def test_output_luminance_is_exactly_the_gray_input():
    gray, processed, _ = clip(frame_count=6)
    # Brighter gray than the colour was made from: saturated colours must leave the
    # gamut somewhere, and still the luminance is kept.
    gray = [np.clip(g * 1.3, 0, 1) for g in gray]
    refined, _ = refine(gray, processed, settings=FAST)
    for g, frame in zip(gray, refined):
        assert frame.shape == (HEIGHT, WIDTH, 3) and frame.dtype == np.float32
        assert frame.min() >= 0 and frame.max() <= 1
        assert np.abs(luminance(frame) - g).max() < 1e-5


def test_rgb_output_and_plain_l1_also_refine():
    gray, processed, _ = clip(frame_count=6)
    settings = RefineSettings(method="network", epochs=3, width=4, working_pixels=32 * 64,
                              irt=False,
                              output="rgb", learning_rate=1e-3)
    refined, report = refine(gray, processed, settings=settings)
    assert report.epochs_run == 3  # no warm-up without IRT
    assert np.abs(luminance(refined[0]) - gray[0]).max() < 1e-5


def test_each_shot_is_trained_separately_and_resumed_from_its_checkpoint(tmp_path, monkeypatch):
    gray, processed, _ = clip(frame_count=12, cut_at=6)
    trained = []
    real_train_shot = pipeline.train_shot

    def counting_train_shot(network, grays, targets, settings, on_step):
        trained.append(len(grays))
        return real_train_shot(network, grays, targets, settings, on_step)

    monkeypatch.setattr(pipeline, "train_shot", counting_train_shot)
    first, report = refine(gray, processed, settings=FAST, checkpoints=ShotCheckpoints(tmp_path))
    assert report.shots == [range(0, 6), range(6, 12)] and trained == [6, 6]
    assert report.resumed_shots == [] and report.epochs_run == 2 * (FAST.epochs + 1)
    assert len(list(tmp_path.glob("*.npz"))) == 2

    # Shot 2's checkpoint lost (as if interrupted during it): only shot 2 trains again.
    sorted(tmp_path.glob("*.npz"))[1].unlink()
    trained.clear()
    second, report = refine(gray, processed, settings=FAST, checkpoints=ShotCheckpoints(tmp_path))
    assert trained == [6] and report.resumed_shots == [0]
    assert report.epochs_run == FAST.epochs + 1
    np.testing.assert_allclose(second[2], first[2], atol=1e-3)

    # Other settings do not reuse the checkpoints.
    trained.clear()
    refine(gray, processed, settings=RefineSettings(**{**vars(FAST), "epochs": 1}),
           checkpoints=ShotCheckpoints(tmp_path))
    assert trained == [6, 6]


def test_a_diverged_shot_is_neither_checkpointed_nor_written(tmp_path, monkeypatch):
    gray, processed, _ = clip(frame_count=6)

    def diverged(shot, *args):
        return np.full((len(shot), 4, 8, 2), np.nan, np.float32), 1.0, 1

    monkeypatch.setattr(pipeline, "_refine_shot", diverged)
    written = []
    with pytest.raises(ColorizeError, match="^refinement diverged on shot 1"):
        refine_video(gray, processed, lambda i, f: written.append(i), settings=FAST,
                     checkpoints=ShotCheckpoints(tmp_path))
    assert written == [] and list(tmp_path.iterdir()) == []


def test_cancel_stops_training_and_nothing_more_is_written():
    gray, processed, _ = clip(frame_count=8)
    written, messages = [], []
    state = {"cancel": False}

    def progress(fraction, message):
        messages.append((fraction, message))
        if "epoch 2/" in message:
            state["cancel"] = True

    with pytest.raises(CancelledError):
        refine_video(gray, processed, lambda i, f: written.append(i), settings=FAST,
                     progress=progress, cancelled=lambda: state["cancel"])
    assert written == []
    # Stopped at the first step after the request, inside the epoch.
    assert "epoch 2/2" in messages[-1][1]
    assert any("ETA" in m for _, m in messages) and messages[-1][1].startswith("shot 1/1, ")
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions)


def test_bad_inputs_give_one_line_messages():
    gray, processed, _ = clip(frame_count=4)
    with pytest.raises(BadInputError, match="^GRAY has 4 frames but PROCESSED has 3$"):
        refine(gray, processed[:3], settings=FAST)
    small = [p[:16, :48] for p in processed]
    with pytest.raises(BadInputError, match="^GRAY frames are 64x32 but PROCESSED frames "
                                            "are 48x16$"):
        refine(gray, small, settings=FAST)
    with pytest.raises(BadInputError, match="^GRAY frame 2 is 48x16 but frame 0 is 64x32$"):
        refine(gray[:2] + [g[:16, :48] for g in gray[2:]], processed, settings=FAST)
    with pytest.raises(BadInputError, match="^GRAY has no frames$"):
        refine([], [], settings=FAST)
    with pytest.raises(BadInputError, match="^epochs must be at least 1, got 0$"):
        refine(gray, processed, settings=RefineSettings(epochs=0))


def test_joining_keeps_luminance_and_hue_and_shrinks_only_out_of_gamut_chroma():
    y = np.array([[0.5, 0.05, 0.95, 0.5]])
    chroma = np.array([[[0.05, -0.02], [0.3, 0.1], [0.3, 0.1], [0.0, 0.0]]])
    joined = join_luminance_chroma_in_gamut(y, chroma)
    assert joined.min() >= 0 and joined.max() <= 1
    np.testing.assert_allclose(luminance(joined), y, atol=1e-12)
    # In gamut: the plain join. Out of gamut (dark or light with strong chroma): same hue,
    # less chroma, touching the border of the RGB cube.
    np.testing.assert_allclose(joined[0, [0, 3]], join_luminance_chroma(y, chroma)[0, [0, 3]])
    for pixel in (1, 2):
        kept = rgb_to_yiq(joined[:, pixel:pixel + 1])[0, 0, 1:]
        ratio = kept / chroma[0, pixel]
        assert 0 < ratio[0] < 1 and ratio[0] == pytest.approx(ratio[1])
        assert np.isclose(joined[0, pixel], 0).any() or np.isclose(joined[0, pixel], 1).any()
