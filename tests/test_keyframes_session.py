"""Keyframes in the video session: set, list, remove, projects to and fro, a run reusing the
automatic colour when only the keyframes change."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError
from colorize_app.documents.strokes import Stroke
from colorize_app.io.project import load_project, save_project
from colorize_app.runtime import paths
from colorize_app.sessions.cnn import ModelChoice
from colorize_app.sessions.video import VideoSession
from deep_video_prior.temporal import rgb_to_ab
from tests.test_session_video import moving_square_clip

FRAMES, SIDE = 5, 32


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))


@pytest.fixture
def clip(tmp_path) -> Path:
    """5 gray 32 x 32 frames: a bright square moving right over a gradient (the session
    tests' clip)."""
    return moving_square_clip(tmp_path)


def session_of(clip: Path, tmp_path: Path) -> VideoSession:
    model = tmp_path / "model.npz"
    model.write_bytes(b"weights")  # only named: the test colorizer loads nothing
    session = VideoSession()
    session.open(str(clip))
    session.set_model(ModelChoice(str(model), label="tiny"))
    return session


def blue(session: VideoSession, frame: int) -> np.ndarray:
    """Frame ``frame`` tinted blue, as a colour keyframe."""
    return np.clip(session.gray_frame(frame) * np.array([0.7, 0.9, 1.3], np.float32), 0, 1)


class WarmTint:
    """Stands in for the CNN: every frame tinted warm; counts the frames coloured."""

    def __init__(self) -> None:
        self.frames = 0

    def colorize(self, image: np.ndarray) -> np.ndarray:
        self.frames += 1
        return np.clip(image * np.array([1.2, 1.0, 0.7], np.float32), 0, 1)


STROKE = Stroke([(5.0, 5.0), (25.0, 5.0)], (0.1, 0.8, 0.2), 3.0)


def test_keyframes_are_set_listed_removed_and_survive_a_project(tmp_path, clip):
    session = session_of(clip, tmp_path)
    colour = blue(session, 1)
    session.set_keyframe(3, strokes=[STROKE], stroke_reach=0.2)
    session.set_keyframe(1, rgb=colour)
    assert session.keyframe_frames() == [1, 3]
    assert session.keyframe(3).strokes == [STROKE] and session.keyframe(2) is None
    save_project(tmp_path / "film.colorize", session.to_project())

    project = load_project(tmp_path / "film.colorize")
    assert sorted(project.layers) == ["keyframe_00001"]
    restored = VideoSession.from_project(project, {"video": str(clip)})
    assert restored.keyframe_frames() == [1, 3]
    np.testing.assert_allclose(restored.keyframe(1).rgb, colour, atol=1 / 65535)
    assert restored.keyframe(3).rgb is None and restored.keyframe(3).strokes == [STROKE]
    assert restored.keyframe(3).stroke_reach == 0.2
    assert restored.keyframes_digest() == session.keyframes_digest()
    assert restored.to_project().settings == session.to_project().settings

    assert restored.remove_keyframe(1) is not None and restored.remove_keyframe(1) is None
    assert restored.keyframe_frames() == [3]
    restored.open(str(clip))  # another video (here the same): no keyframes carried over
    assert restored.keyframe_frames() == []


def test_a_keyframe_that_does_not_fit_is_refused_in_one_line(tmp_path, clip):
    session = session_of(clip, tmp_path)
    with pytest.raises(BadInputError, match=r"^keyframe 2 is 16x16 but the video is 32x32$"):
        session.set_keyframe(2, rgb=np.zeros((16, 16, 3), np.float32))
    with pytest.raises(BadInputError, match=r"^keyframe 5: frame 5 is out of range \(the "
                                            r"video has frames 0 to 4\)$"):
        session.set_keyframe(5, rgb=blue(session, 0))
    with pytest.raises(BadInputError, match="^keyframe 0 has neither a colour image nor "
                                            "strokes$"):
        session.set_keyframe(0)
    with pytest.raises(BadInputError, match=r"^keyframe 0: stroke_reach must be a number in "
                                            r"\[0.01, 1\]$"):
        session.set_keyframe(0, strokes=[STROKE], stroke_reach=3.0)
    assert session.keyframe_frames() == []


@pytest.mark.parametrize("change, message", [
    (lambda p: p.settings["keyframes"][0].update(frame=9),
     "keyframe 9: frame 9 is out of range (the video has frames 0 to 4)"),
    (lambda p: p.settings["keyframes"][0].update(frame="1"),
     "keyframe entry 1: frame must be a whole number"),
    (lambda p: p.layers.clear(), "keyframe entry 1: its layer 'keyframe_00001' is missing"),
    (lambda p: p.layers.update(keyframe_00001=np.zeros((8, 8, 3), np.float32)),
     "keyframe 1 is 8x8 but the video is 32x32"),
    (lambda p: p.settings["keyframes"].append(dict(p.settings["keyframes"][0])),
     "frame 1 has two keyframes"),
    (lambda p: p.settings["keyframes"][1].update(strokes=[{"kind": "paint"}]),
     "keyframe entry 2: stroke 1: colour must be [r, g, b]"),
    (lambda p: p.settings.update(keyframes={"1": 2}), "keyframes must be a list"),
])
def test_a_project_with_bad_keyframes_is_refused_in_one_line(tmp_path, clip, change,
                                                             message):
    session = session_of(clip, tmp_path)
    session.set_keyframe(1, rgb=blue(session, 1))
    session.set_keyframe(3, strokes=[STROKE])
    project = session.to_project()
    change(project)
    with pytest.raises(BadInputError) as raised:
        VideoSession.from_project(project, {"video": str(clip)})
    assert str(raised.value) == message


def test_a_run_with_keyframes_reuses_the_automatic_colour_when_they_change(tmp_path, clip):
    session = session_of(clip, tmp_path)
    session.set_keyframe(0, rgb=blue(session, 0))
    tint = WarmTint()
    report, notes = session.colorize(lambda report: tint)
    assert tint.frames == FRAMES and notes == [] and report.frames == FRAMES
    assert session.finished() and session.automatic_frames().complete()
    keyed, automatic = session.refined_frames(), session.automatic_frames()
    assert keyed.folder != automatic.folder
    for index in range(FRAMES):  # the keyframe's blue, where the automatic colour is warm
        assert rgb_to_ab(keyed[index])[..., 1].mean() < -5
        assert rgb_to_ab(automatic[index])[..., 1].mean() > 5

    # Another keyframe: nothing is coloured or refined again, only carried; the old result
    # is gone.
    first = keyed.folder
    session.set_keyframe(4, strokes=[STROKE])
    assert not session.finished()
    report, _ = session.colorize(lambda report: pytest.fail("no frame needs colour"))
    assert report.colorized == 0 and report.refine is None and session.finished()
    assert not first.exists() and report.keyframes.keyframes_by_shot == [[0, 4]]
    assert session.automatic_frame(2) is not None and session.gray_frame(2).shape == (
        SIDE, SIDE, 3)
    exported = tmp_path / "out"
    assert session.exporter(str(exported))() == []
    assert sorted(os.listdir(exported)) == [f"{i:05d}.png" for i in range(FRAMES)]
