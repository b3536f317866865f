"""The video session and job, without Qt: projects to and fro, refusals, a run that resumes."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from algorithms.colorspace import lab_lightness
from algorithms.errors import BadInputError, CancelledError
from colorize_app import cli
from colorize_app.io import media, video_in
from colorize_app.io.project import load_project, save_project
from colorize_app.jobs.video_job import VideoJob
from colorize_app.runtime import paths
from colorize_app.sessions import video as video_session
from colorize_app.sessions import video_presets, video_run
from colorize_app.sessions.cnn import ModelChoice
from colorize_app.sessions.video import VideoSession
from colorize_app.sessions.video_presets import command_settings
from deep_video_prior.settings import RefineSettings

FRAMES, SIDE = 5, 32


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Work folders in the test's own cache; a tiny network preset (1 epoch, width 4)."""
    monkeypatch.setenv(paths.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["video"])
    tiny = RefineSettings(
        method="network", epochs=1, width=4, working_pixels=SIDE * SIDE, warmup_epochs=0)
    monkeypatch.setitem(video_presets.PRESETS, "fast", video_presets.Preset("fast", "Fast", tiny))


@pytest.fixture
def clip(tmp_path) -> Path:
    return moving_square_clip(tmp_path)


def moving_square_clip(tmp_path: Path) -> Path:
    """A folder of 5 gray 32 x 32 frames: a bright square moving right over a gradient."""
    folder = tmp_path / "clip"
    folder.mkdir()
    columns = np.arange(SIDE) / SIDE
    for index in range(FRAMES):
        gray = np.tile(0.2 + 0.5 * columns, (SIDE, 1))
        gray[10:20, 4 + 3 * index:14 + 3 * index] = 0.9
        media.write_image(folder / f"{index:03d}.png", np.repeat(gray[..., None], 3, axis=2))
    return folder


def tinted(frame: np.ndarray) -> np.ndarray:
    return np.clip(frame * np.array([1.2, 1.0, 0.7], np.float32), 0, 1)


class CountingColorizer:
    """Counts the frames it colours: with ``inner`` (a Colorizer) or a warm tint;
    ``cancel_after`` frames in, it asks the job to stop (as the window's Cancel button does)."""

    def __init__(self, cancel_after: int = -1, inner=None) -> None:
        self.frames = 0
        self.cancel_after = cancel_after
        self.inner = inner

    def colorize(self, image: np.ndarray) -> np.ndarray:
        self.frames += 1
        if self.inner is not None:
            return self.inner.colorize(image)
        return tinted(image)

    def cancelled(self) -> bool:
        return self.frames == self.cancel_after


def opened(clip: Path, model: Path, **settings) -> VideoSession:
    """A session of ``clip`` with the model file ``model`` (made when missing)."""
    if not model.exists():
        model.write_bytes(b"weights")  # only named: the test colorizers load nothing
    session = VideoSession()
    session.open(str(clip))
    session.set_model(ModelChoice(str(model), label="tiny"))
    for name, value in settings.items():
        setattr(session, name, value)
    return session


# --------------------------------------------------------------------------------------------
# Projects


def test_a_project_round_trip_keeps_every_setting(tmp_path, clip):
    model = tmp_path / "model.npz"
    session = opened(clip, model)
    session.set_preset("Deep Video Prior")
    session.epochs, session.show, session.frame = 7, "Per-frame", 3
    save_project(tmp_path / "film.colorize", session.to_project())

    project = load_project(tmp_path / "film.colorize")
    assert video_session.locate_video(project, str(tmp_path / "film.colorize")) == (
        str(clip), "")
    restored = VideoSession.from_project(project, {"video": str(clip)})
    assert (restored.preset, restored.epochs, restored.show, restored.frame) == (
        "Deep Video Prior", 7, "Per-frame", 3)
    assert restored.model == ModelChoice(str(model), None, "tiny")
    assert restored.video_check == {"frames": FRAMES} and len(restored.source) == FRAMES
    assert restored.work == session.work and restored.work is not None
    assert restored.refine_settings().epochs == 7
    assert restored.to_project().settings == session.to_project().settings

    # The project's model is gone: the session opens, without a work folder.
    model.unlink()
    assert VideoSession.from_project(project, {"video": str(clip)}).work is None


@pytest.mark.parametrize("change, message", [
    ({"preset": "Vivid"}, "unknown quality preset 'Vivid' in the project"),
    ({"epochs": 201}, "bad number of epochs 201 in the project"),
    ({"epochs": True}, "bad number of epochs True in the project"),
    ({"epochs": "3"}, "bad number of epochs 3 in the project"),
])
def test_a_bad_project_is_refused_in_one_line(tmp_path, clip, change, message):
    project = opened(clip, tmp_path / "model.npz").to_project()
    project.settings.update(change)
    with pytest.raises(BadInputError) as raised:
        VideoSession.from_project(project, {"video": str(clip)})
    assert str(raised.value) == message


def test_a_project_without_a_video_or_with_another_video_is_told_apart(tmp_path, clip):
    project = opened(clip, tmp_path / "model.npz").to_project()
    (clip / "004.png").unlink()  # the folder now has another frame count
    assert video_session.locate_video(project, str(tmp_path / "p.colorize")) == (
        None, "has changed since the project was saved")
    del project.images["video"]
    with pytest.raises(BadInputError, match="^the project names no video$"):
        VideoSession.from_project(project, {"video": str(clip)})


@pytest.mark.parametrize("change, message", [
    ({"preset": "Vivid"}, "unknown quality preset 'Vivid' in the project"),
    ({"epochs": 0}, "bad number of epochs 0 in the project"),
])
def test_the_command_line_refuses_a_bad_project_with_the_sessions_words(
        tmp_path, clip, capsys, change, message):
    project = opened(clip, tmp_path / "model.npz").to_project()
    project.settings.update(change)
    save_project(tmp_path / "film.colorize", project)
    with pytest.raises(BadInputError) as raised:
        VideoSession.from_project(load_project(tmp_path / "film.colorize"),
                                  {"video": str(clip)})
    assert str(raised.value) == message
    code = cli.main(["video", "--project", str(tmp_path / "film.colorize"), "-o",
                     str(tmp_path / "out")])
    assert code == 1 and not (tmp_path / "out").exists()
    assert capsys.readouterr().err == (
        f"colorize: error: {tmp_path / 'film.colorize'}: {message}\n")


def test_the_command_line_runs_a_project_with_its_model_and_preset(
        tmp_path, clip, capsys, model_file):
    session = opened(clip, model_file)
    session.set_preset("Fast")  # the tiny network preset of this module
    save_project(tmp_path / "film.colorize", session.to_project())
    out = tmp_path / "out"
    assert cli.main(["video", "--project", str(tmp_path / "film.colorize"), "-o",
                     str(out)]) == 0
    assert sorted(os.listdir(out)) == [f"{i:05d}.png" for i in range(FRAMES)]
    assert "1 shot" in capsys.readouterr().out

    with pytest.raises(SystemExit) as raised:  # the project gives the video: no INPUT
        cli.main(["video", str(clip), "--project", str(tmp_path / "film.colorize"), "-o",
                  str(tmp_path / "again")])
    assert raised.value.code == 2


# --------------------------------------------------------------------------------------------
# The job


@pytest.fixture(scope="module")
def tiny_colorizer(model_file):
    """The tiny test model's Colorizer (random weights: some colour, the input's lightness)."""
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io.model_files import load_model

    with Colorizer(load_model(model_file)) as colorizer:
        yield colorizer


def test_a_cancelled_run_resumes_with_only_the_missing_frames(clip, tmp_path, model_file,
                                                              tiny_colorizer):
    session = opened(clip, model_file)
    session.set_preset("Fast")
    first = CountingColorizer(cancel_after=3, inner=tiny_colorizer)
    with pytest.raises(CancelledError):
        session.colorize(lambda report: first, cancelled=first.cancelled)
    per_frame = session.per_frame_frames()
    assert [per_frame.has(i) for i in range(FRAMES)] == [True] * 3 + [False] * 2
    assert not session.refined_frames().folder.exists() and not session.finished()
    assert session.started()

    again = CountingColorizer(inner=tiny_colorizer)
    seen: list = []
    report, notes = session.colorize(lambda report: again,
                                     progress=lambda fraction, text: seen.append(fraction))
    assert again.frames == 2 and report.colorized == 2 and notes == []
    assert report.frames == FRAMES and session.finished()
    assert report.refine.resumed_shots == [] and report.refine.epochs_run == 1
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    refined = session.refined_frames()
    for index in range(FRAMES):  # each frame keeps its own lightness (8-bit files both ways)
        frame, gray = refined[index], media.read_image(clip / f"{index:03d}.png").pixels
        assert frame.shape == (SIDE, SIDE, 3)
        assert np.abs(lab_lightness(frame) - lab_lightness(gray)).max() < 1.5
    assert np.mean([np.ptp(refined[i], axis=2).mean() for i in range(FRAMES)]) > 0.01  # colour

    # Once more: nothing to colour, the shot is read back from its checkpoint.
    report, _ = session.colorize(lambda report: pytest.fail("no frame needs colour"))
    assert report.colorized == 0 and report.refine.resumed_shots == [0]

    exported = tmp_path / "out"
    assert session.exporter(str(exported))() == []
    assert sorted(os.listdir(exported)) == [f"{i:05d}.png" for i in range(FRAMES)]


def test_a_streamed_job_writes_every_frame_in_order(clip, tmp_path):
    source = video_in.open_frames(clip)
    colorizer = CountingColorizer()
    out = tmp_path / "frames"
    report = VideoJob(source, out, source.fps, source=source.reopened(),
                      colorizer=lambda report: colorizer).run()
    assert report.frames == FRAMES and colorizer.frames == FRAMES and report.refine is None
    for index in range(FRAMES):
        written = media.read_image(out / f"{index:05d}.png").pixels
        assert np.abs(written - tinted(source[index])).max() < 1.5 / 255  # 8-bit PNG


def test_a_job_needs_its_colour_and_a_refined_job_its_checkpoints(clip, tmp_path):
    source = video_in.open_frames(clip)
    with pytest.raises(ValueError):
        VideoJob(source, tmp_path / "o", 25.0)
    with pytest.raises(ValueError):
        VideoJob(source, tmp_path / "o", 25.0, colour=source, refine=RefineSettings())


@pytest.mark.parametrize("preset, epochs, irt, method, expected_epochs", [
    ("balanced", None, True, "filter", None),
    ("balanced", 5, True, "network", 5),
    ("network", None, False, "network", None),
])
def test_command_line_presets(preset, epochs, irt, method, expected_epochs):
    settings = command_settings(preset, epochs, irt)
    assert settings.method == method and settings.irt == irt
    if expected_epochs is not None:
        assert settings.epochs == expected_epochs


def test_command_line_preset_refusals():
    from algorithms.errors import SettingError
    from colorize_app.commands.arguments import option_name

    with pytest.raises(SettingError) as refused:
        command_settings("fast", 3)
    assert str(refused.value) == ("epochs and no irt train the network: they do not go with "
                                  "preset fast")
    assert refused.value.worded(option_name) == ("--epochs and --no-irt train the network: "
                                                 "they do not go with --preset fast")
    with pytest.raises(SettingError, match="^unknown preset 'vivid': choose from fast, "):
        command_settings("vivid")
    with pytest.raises(SettingError) as refused:
        command_settings(None, 0)
    assert refused.value.worded(option_name) == "--epochs must be at least 1, got 0"


# --------------------------------------------------------------------------------------------
# One video run: the preset table, the resume folder, the builder


def test_the_preset_table_names_each_preset_once_for_each_front():
    from deep_video_prior import settings as engine

    table = [(p.name, p.label, p.settings) for p in video_presets.PRESETS.values()]
    # (This module's fixture gives "fast" a tiny network; the engine's FAST otherwise.)
    assert table == [("fast", "Fast", table[0][2]),
                     ("balanced", "Balanced", engine.BALANCED), ("best", "Best", engine.BEST),
                     ("network", "Deep Video Prior", engine.NETWORK)]
    assert engine.FAST == RefineSettings(working_pixels=160 * 96, flow_preset="ultrafast")
    assert video_presets.preset_labels() == ["Fast", "Balanced", "Best", "Deep Video Prior"]
    assert video_presets.preset_labelled("Deep Video Prior").name == "network"
    assert command_settings("network") == engine.NETWORK
    assert command_settings(None) == engine.BALANCED == command_settings("balanced")
    assert video_session.DEFAULT_PRESET == "Balanced"
    with pytest.raises(BadInputError, match="^unknown quality preset 'network'$"):
        video_presets.preset_labelled("network")  # a label, not a command-line name


def test_a_run_folder_is_keyed_by_front_inputs_temperature_and_shot(tmp_path, clip):
    from colorize_app.io.fingerprints import fingerprint, settings_digest

    model = tmp_path / "model.npz"
    model.write_bytes(b"weights")
    os.utime(model, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    key = video_run.RunKey("video", (str(clip), str(model)), 0.3)
    folder = key.folder().path
    expected = settings_digest({"front": "video", "temperature": 0.3, "shot": None, "inputs": [
        [str(clip), fingerprint(clip)], [str(model), [7, 1_700_000_000_000_000_000]]]}, 20)
    assert folder == tmp_path / "cache" / "video-checkpoints" / expected
    assert key.folder() == video_run.RunKey("video", (str(clip), str(model)), 0.3).folder()
    others = {video_run.RunKey("video-window", key.inputs, 0.3).folder().path,
              video_run.RunKey("video", key.inputs).folder().path,
              video_run.RunKey("video", key.inputs, 0.3, (0, 3)).folder().path}
    assert len(others | {folder}) == 4
    os.utime(model, ns=(1_700_000_000_000_000_001, 1_700_000_000_000_000_001))
    assert key.folder().path != folder  # a changed model file is another run
    with pytest.raises(FileNotFoundError):
        video_run.RunKey("video", (str(tmp_path / "gone.mp4"),)).folder()


def test_refine_tags_and_keyframe_digests():
    from colorize_app.documents.video_keyframes import KeyframeEdit
    from colorize_app.io.fingerprints import settings_digest

    settings = RefineSettings(epochs=3)
    assert video_run.refine_tag(settings) == settings_digest(
        {"type": "RefineSettings", **dataclasses.asdict(settings)}, 12)
    assert video_run.refine_tag(dataclasses.replace(settings, threads=4)) == \
        video_run.refine_tag(settings)  # threads change no pixel
    assert video_run.refine_tag(RefineSettings(epochs=4)) != video_run.refine_tag(settings)
    rgb = np.full((4, 4, 3), 0.5, np.float32)
    digest = video_run.keyframes_digest({2: KeyframeEdit(2, rgb)})
    # Colours the same at the 16 bits a project keeps: the same digest.
    assert video_run.keyframes_digest({2: KeyframeEdit(2, rgb + 1e-7)}) == digest
    assert video_run.keyframes_digest({2: KeyframeEdit(2, rgb + 0.01)}) != digest
    assert video_run.keyframes_digest({3: KeyframeEdit(3, rgb)}) != digest


def test_the_builder_lays_out_a_run_in_its_folder(tmp_path, clip):
    from colorize_app.documents.video_keyframes import KeyframeEdit

    source = video_in.open_frames(clip)
    work = video_run.RunFolder(tmp_path / "work")
    refine = RefineSettings()
    tag = video_run.refine_tag(refine)
    keyframe = KeyframeEdit(0, np.zeros((SIDE, SIDE, 3), np.float32))

    def colour(_report):
        return CountingColorizer()

    command = video_run.build_video_job(source, tmp_path / "out.mp4", 25.0, work=work,
                                        refine=refine, source=source, colorizer=colour,
                                        keyframes=[keyframe])
    assert command.checkpoints == work.path / f"checkpoints-{tag}"
    assert command.automatic == work.path / f"refined-{tag}" and command.frames is None
    assert tuple(command.discard) == (command.checkpoints, command.automatic)
    window = video_run.build_video_job(source, work.keyed(refine, {0: keyframe}, FRAMES).folder,
                                       25.0, work=work, refine=refine, source=source,
                                       colorizer=colour, keyframes=[keyframe],
                                       keep_frames=True, keep_work=True)
    assert window.frames is not None and window.frames.folder == work.path / "frames"
    assert tuple(window.discard) == ()
    refine_only = video_run.build_video_job(source, tmp_path / "o", 25.0, work=work,
                                            refine=refine, colour=source)
    assert refine_only.automatic is None and refine_only.frames is None
    with pytest.raises(ValueError, match="needs a work folder"):
        video_run.build_video_job(source, tmp_path / "o", 25.0, work=None, refine=refine,
                                  colour=source)


def test_a_finished_command_run_leaves_no_work_folder(tmp_path, clip):
    source = video_in.open_frames(clip)
    work = video_run.RunKey("refine", (str(clip),)).folder()
    fast = video_presets.PRESETS["fast"].settings  # the tiny network preset of this module
    job = video_run.build_video_job(source, tmp_path / "out", source.fps, work=work,
                                    refine=fast, colour=source)
    assert job.run().frames == FRAMES
    assert not work.path.exists() and sorted(os.listdir(tmp_path / "out")) == [
        f"{i:05d}.png" for i in range(FRAMES)]
