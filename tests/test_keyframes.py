"""Keyframe colour carried through a shot: a synthetic clip with known colours and a cut."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from algorithms.colorspace import luminance
from algorithms.errors import BadInputError, CancelledError
from deep_video_prior.keyframes import Keyframe, keyframe_from_rgb, propagate_keyframes
from deep_video_prior.temporal import join_chroma, rgb_to_ab

HEIGHT, WIDTH, FRAMES, CUT = 64, 96, 20, 10
ROWS, COLUMNS = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
#: The keyframe's colours (CIELAB a/b) and the automatic colour's (a wrong, flat colour;
#: the shape that appears later has its own).
DISC_AB, SQUARE_AB, BACKGROUND_AB = (20.0, 15.0), (5.0, -30.0), (-20.0, 15.0)
AUTOMATIC_AB, NEWCOMER_AB = (10.0, 30.0), (25.0, -15.0)


def texture(seed: int, level: float, spread: float) -> np.ndarray:
    """A smooth random gray texture (flow needs something to follow)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(level - spread, level + spread, (HEIGHT // 4, WIDTH // 4))
    return cv2.resize(coarse.astype(np.float32), (WIDTH, HEIGHT),
                      interpolation=cv2.INTER_CUBIC)


def disc(t: int) -> np.ndarray:  # moves right 2 px a frame
    return (ROWS - 20) ** 2 + (COLUMNS - 20 - 2 * t) ** 2 < 8**2


def square(t: int) -> np.ndarray:  # moves left 1.5 px a frame
    return (np.abs(ROWS - 44) < 7) & (np.abs(COLUMNS - 70 + 1.5 * t) < 7)


def newcomer(t: int) -> np.ndarray:  # appears at frame 5, where there was background
    return np.zeros((HEIGHT, WIDTH), bool) if t < 5 else (
        (np.abs(ROWS - 48) < 6) & (np.abs(COLUMNS - 30) < 6))


def interior(mask: np.ndarray) -> np.ndarray:
    """The mask less a 2-pixel rim (edges mix colours by design)."""
    return cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0


def clip() -> tuple[list, list, np.ndarray]:
    """Gray frames, automatic colour and the frame 0 keyframe's RGB of a clip with a cut at
    frame 10: shot 1 has a disc and a square moving over a texture and a square that
    appears at frame 5; shot 2 is another scene."""
    first, second = texture(1, 0.45, 0.1), texture(2, 0.25, 0.08)
    grays, automatic = [], []
    for t in range(FRAMES):
        if t < CUT:
            gray = first.copy()
            gray[disc(t)], gray[square(t)], gray[newcomer(t)] = 0.75, 0.2, 0.7
        else:
            gray = second.copy()
            gray[(ROWS - 30) ** 2 + (COLUMNS - 50 + t) ** 2 < 100] = 0.7
        ab = np.empty((HEIGHT, WIDTH, 2), np.float32)
        ab[:] = AUTOMATIC_AB
        ab[newcomer(t)] = NEWCOMER_AB
        grays.append(gray)
        automatic.append(join_chroma(gray, ab))
    key = np.empty((HEIGHT, WIDTH, 2), np.float32)
    key[:] = BACKGROUND_AB
    key[disc(0)], key[square(0)] = DISC_AB, SQUARE_AB
    return grays, automatic, join_chroma(grays[0], key)


def run(grays: list, automatic: list, keyframes: list, **options) -> list:
    frames: list = [None] * len(grays)

    def write(index: int, rgb: np.ndarray) -> None:
        assert frames[index] is None and all(f is not None for f in frames[:index])
        frames[index] = rgb

    propagate_keyframes(grays, automatic, keyframes, write, **options)
    return frames


@pytest.fixture(scope="module")
def coloured() -> dict:
    grays, automatic, key_rgb = clip()
    frames: list = [None] * FRAMES

    def write(index: int, rgb: np.ndarray) -> None:
        frames[index] = rgb

    report = propagate_keyframes(grays, automatic, [keyframe_from_rgb(0, key_rgb)], write)
    return {"grays": grays, "automatic": automatic, "key": key_rgb, "frames": frames,
            "report": report}


def test_the_cut_is_found_and_the_keyframe_colours_only_its_own_shot(coloured):
    report = coloured["report"]
    assert report.shots == [range(0, CUT), range(CUT, FRAMES)]
    assert report.keyframes_by_shot == [[0], []]
    for t in range(CUT, FRAMES):  # after the cut: the automatic colour, nothing carried
        ab, expected = rgb_to_ab(coloured["frames"][t]), rgb_to_ab(coloured["automatic"][t])
        assert np.abs(ab - expected).max() < 1.0
    assert report.keyframe_share[CUT:] == [0.0] * (FRAMES - CUT)
    assert min(report.keyframe_share[:CUT]) > 0.9


def test_each_shape_keeps_its_keyframe_colour_as_it_moves(coloured):
    key_ab = rgb_to_ab(coloured["key"])
    wanted = {"disc": key_ab[interior(disc(0))].mean(0),
              "square": key_ab[interior(square(0))].mean(0),
              "background": key_ab[2:12, 40:60].reshape(-1, 2).mean(0)}
    assert np.linalg.norm(wanted["disc"] - wanted["square"]) > 30  # distinct colours
    for t in range(1, CUT):
        ab = rgb_to_ab(coloured["frames"][t])
        got = {"disc": ab[interior(disc(t))].mean(0),
               "square": ab[interior(square(t))].mean(0),
               "background": ab[2:12, 40:60].reshape(-1, 2).mean(0)}
        for name in wanted:
            assert np.linalg.norm(got[name] - wanted[name]) < 5.0, (t, name, got, wanted)


def test_a_shape_that_appears_later_gets_the_automatic_colour(coloured):
    for t in range(5, CUT):
        ab, automatic = rgb_to_ab(coloured["frames"][t]), rgb_to_ab(coloured["automatic"][t])
        inside = interior(newcomer(t))
        assert np.linalg.norm(ab[inside].mean(0) - automatic[inside].mean(0)) < 3.0
        # ... and not the background's keyframe colour around it.
        assert np.linalg.norm(ab[inside].mean(0) - np.array(BACKGROUND_AB)) > 30


def test_the_luminance_is_exactly_the_inputs(coloured):
    for gray, frame in zip(coloured["grays"], coloured["frames"]):
        assert frame.shape == (HEIGHT, WIDTH, 3) and frame.dtype == np.float32
        np.testing.assert_allclose(luminance(frame), gray, atol=1e-5)


def test_the_colour_is_steady_from_frame_to_frame(coloured):
    # The disc's colour changes far less between neighbouring frames than its distance
    # to any other colour: no flicker.
    means = [rgb_to_ab(coloured["frames"][t])[interior(disc(t))].mean(0) for t in range(CUT)]
    assert max(np.linalg.norm(b - a) for a, b in zip(means, means[1:])) < 2.0


def test_a_keyframe_carries_backward_and_two_keyframes_join():
    grays, automatic, key_rgb = clip()
    # The same colours given at frame 9 instead: carried back to frame 0.
    later = np.empty((HEIGHT, WIDTH, 2), np.float32)
    later[:] = BACKGROUND_AB
    later[disc(9)], later[square(9)] = DISC_AB, SQUARE_AB
    frames = run(grays, automatic, [keyframe_from_rgb(9, join_chroma(grays[9], later))])
    ab = rgb_to_ab(frames[0])
    assert np.linalg.norm(ab[interior(disc(0))].mean(0) - rgb_to_ab(key_rgb)[
        interior(disc(0))].mean(0)) < 5.0
    # A keyframe on each side: each keyframe is its own colour exactly (at the frame's
    # luminance), and the frames between take both.
    later_rgb = join_chroma(grays[9], later)
    frames = run(grays, automatic, [keyframe_from_rgb(0, key_rgb),
                                    keyframe_from_rgb(9, later_rgb)])
    for t, rgb in ((0, key_rgb), (9, later_rgb)):
        np.testing.assert_allclose(frames[t], join_chroma(grays[t], rgb_to_ab(rgb)),
                                   atol=1e-4)
    for t in range(1, 9):
        ab = rgb_to_ab(frames[t])
        assert np.linalg.norm(ab[interior(square(t))].mean(0) - SQUARE_AB) < 6.0


def test_a_partial_keyframe_colours_only_where_it_is_confident():
    grays, automatic, key_rgb = clip()
    confidence = np.zeros((HEIGHT, WIDTH), np.float32)
    confidence[disc(0)] = 1.0  # only the disc is given
    frames = run(grays, automatic, [keyframe_from_rgb(0, key_rgb, confidence)])
    ab, auto = rgb_to_ab(frames[3]), rgb_to_ab(automatic[3])
    assert np.linalg.norm(ab[interior(disc(3))].mean(0) - np.array(DISC_AB)) < 6.0
    assert np.abs(ab[interior(square(3))] - auto[interior(square(3))]).mean() < 3.0


def test_bad_keyframes_are_refused_in_one_line():
    grays, automatic, key_rgb = clip()
    with pytest.raises(BadInputError, match=r"^keyframe 20 is out of range: the video has "
                                            r"frames 0 to 19$"):
        run(grays, automatic, [keyframe_from_rgb(20, key_rgb)])
    with pytest.raises(BadInputError, match=r"^keyframe 3 is 48x32 but the video is 96x64$"):
        run(grays, automatic, [keyframe_from_rgb(3, key_rgb[:32, :48])])
    with pytest.raises(BadInputError, match=r"^frame 2 has two keyframes$"):
        run(grays, automatic, [keyframe_from_rgb(2, key_rgb), keyframe_from_rgb(2, key_rgb)])
    with pytest.raises(BadInputError, match="automatic colour 19"):
        run(grays, automatic[:-1], [])


def test_progress_rises_to_one_and_cancel_stops_the_work():
    grays, automatic, key_rgb = clip()
    seen: list = []
    run(grays, automatic, [Keyframe(4, rgb_to_ab(key_rgb))],
        progress=lambda fraction, message: seen.append(fraction))
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    written: list = []
    with pytest.raises(CancelledError):
        propagate_keyframes(grays, automatic, [keyframe_from_rgb(0, key_rgb)],
                            lambda index, rgb: written.append(index),
                            cancelled=lambda: len(written) >= 3)
    assert written == [0, 1, 2]


def test_flows_recomputed_for_a_long_span_give_the_same_colours(monkeypatch):
    import deep_video_prior.keyframes as engine

    grays, automatic, key_rgb = clip()
    keys = [keyframe_from_rgb(0, key_rgb), keyframe_from_rgb(8, key_rgb)]
    kept = run(grays, automatic, keys)
    monkeypatch.setattr(engine, "MAX_KEPT_FLOWS", 2)  # the span 0-8 is longer: recomputed
    again = run(grays, automatic, keys)
    for first, second in zip(kept, again):  # kept flows are float16: equal to a rounding
        difference = np.abs(first - second)
        assert difference.mean() < 1e-4 and difference.max() < 0.05
