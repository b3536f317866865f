"""`colorize video` and `colorize refine`: end to end on tiny clips, resume, refusals."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from algorithms.colorspace import lab_lightness
from colorize_app import cli
from colorize_app.io import media, video_in, video_out
from colorize_app.io import model_registry as registry
from colorize_app.io.video_in import ffmpeg_exe
from colorize_app.runtime import paths

FRAMES, HEIGHT, WIDTH = 8, 48, 64


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Only our commands; checkpoints and models in the test's own folders."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["video", "refine"])
    monkeypatch.setenv(paths.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "no_shipped.npz")


def gray_frames(count: int = FRAMES, height: int = HEIGHT, width: int = WIDTH) -> list:
    """A bright disc moving over a gradient, as gray RGB frames (R = G = B)."""
    rows, columns = np.mgrid[0:height, 0:width]
    frames = []
    for index in range(count):
        disc = (rows - height / 2) ** 2 + (columns - 12 - 4 * index) ** 2 < (height / 5) ** 2
        gray = 0.2 + 0.4 * columns / width + 0.35 * disc
        frames.append(np.repeat(gray[..., None], 3, axis=2).astype(np.float32))
    return frames


def tinted(frames: list, seed: int = 0) -> list:
    """Per-frame 'colorized' frames: the gray frames with a jittering warm tint."""
    jitter = np.random.default_rng(seed).uniform(-0.05, 0.05, len(frames))
    return [np.clip(frame * np.array([1.1 + j, 0.95, 0.8 - j]), 0, 1).astype(np.float32)
            for frame, j in zip(frames, jitter)]


def save(path: Path, frames: list, audio_from=None) -> Path:
    with video_out.FrameWriter(path, fps=12, audio_from=audio_from) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def tone(path: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440", "-f", "lavfi", "-i", "color=black:size=16x16:rate=12",
                    "-t", "1", "-shortest", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def read_all(path: Path) -> list:
    source = video_in.open_frames(path)
    return [source[index] for index in range(len(source))]


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err
    assert error.startswith("colorize: error: ") and error.count("\n") == 1, error
    return error


def checkpoint_folders(tmp_path: Path) -> list:
    root = tmp_path / "cache" / "video-checkpoints"
    return sorted(root.iterdir()) if root.exists() else []


# --------------------------------------------------------------------------------------------
# colorize refine


def test_refine_end_to_end_keeps_count_size_and_audio(tmp_path, capsys):
    pytest.importorskip("deep_video_prior.pipeline")
    gray = save(tmp_path / "gray.mp4", gray_frames(), audio_from=tone(tmp_path / "tone.mp4"))
    processed = save(tmp_path / "processed", tinted(gray_frames()))
    out = tmp_path / "refined.mp4"
    assert cli.main(["refine", str(gray), str(processed), "-o", str(out), "--epochs", "1"]) == 0
    info = video_in.probe_video(out)
    assert (info.frame_count, info.width, info.height) == (FRAMES, WIDTH, HEIGHT)
    assert info.has_audio and info.fps == 12  # audio from GRAY: PROCESSED is a folder
    refined, original = read_all(out), read_all(gray)
    for result, source in zip(refined, original):  # lightness is the gray input's
        assert np.median(np.abs(lab_lightness(result) - lab_lightness(source))) < 1.5
    assert np.mean([np.ptp(frame, axis=2).mean() for frame in refined]) > 0.02  # in colour
    assert capsys.readouterr().out.startswith(f"refined {FRAMES} frames (1 shot")
    assert checkpoint_folders(tmp_path) == []  # dropped once the output is complete


def test_refine_resizes_gray_frames_to_the_processed_size_with_a_note(tmp_path, capsys,
                                                                       monkeypatch):
    pipeline = pytest.importorskip("deep_video_prior.pipeline")
    seen: list = []

    def engine(gray, processed, write_frame, **options):
        for index in range(len(processed)):
            seen.append((gray[index].shape, processed[index].shape))
            write_frame(index, processed[index])
        return refine_report(len(processed))

    monkeypatch.setattr(pipeline, "refine_video", engine)
    gray = save(tmp_path / "gray", gray_frames())
    small = [frame[::2, ::2] for frame in tinted(gray_frames())]
    processed = save(tmp_path / "processed", small)
    out = tmp_path / "refined"
    assert cli.main(["refine", str(gray), str(processed), "-o", str(out), "--no-irt"]) == 0
    assert seen == [((HEIGHT // 2, WIDTH // 2, 3), (HEIGHT // 2, WIDTH // 2, 3))] * FRAMES
    assert sorted(os.listdir(out)) == [f"{index:05d}.png" for index in range(FRAMES)]
    assert (f"colorize: note: gray frames resized from {WIDTH} x {HEIGHT} to {WIDTH // 2} x "
            f"{HEIGHT // 2}, the size of PROCESSED") in capsys.readouterr().err


def refine_report(frames: int, resumed: bool = False):
    from deep_video_prior.settings import RefineReport

    return RefineReport(shots=[range(frames)], resumed_shots=[0] if resumed else [])


def test_refine_refuses_different_frame_counts(tmp_path, capsys):
    gray = save(tmp_path / "gray.mp4", gray_frames())
    processed = save(tmp_path / "processed", tinted(gray_frames(6)))
    assert cli.main(["refine", str(gray), str(processed), "-o", str(tmp_path / "o.mp4")]) == 1
    assert one_line_error(capsys) == (f"colorize: error: GRAY has {FRAMES} frames but PROCESSED "
                                      "has 6; they must pair one to one\n")
    assert sorted(os.listdir(tmp_path)) == ["gray.mp4", "processed"]


@pytest.mark.parametrize("arguments, message", [
    (["{gray}", "{processed}", "-o", "{processed}"], "refusing to overwrite the input {processed}"),
    (["{gray}", "{missing}", "-o", "{out}"], "no such file: {missing}"),
    (["{gray}", "{corrupt}", "-o", "{out}"], "{corrupt} is not a video that can be read ("),
])
def test_refine_bad_inputs_give_one_line_errors(tmp_path, capsys, arguments, message):
    paths = {"gray": save(tmp_path / "gray.mp4", gray_frames()),
             "processed": save(tmp_path / "processed.mp4", tinted(gray_frames())),
             "missing": tmp_path / "missing.mp4", "corrupt": tmp_path / "corrupt.mp4",
             "out": tmp_path / "out.mp4"}
    paths["corrupt"].write_bytes(b"\x00 not a video " * 50)
    before = paths["processed"].read_bytes()
    code = cli.main(["refine", *(argument.format(**paths) for argument in arguments)])
    assert code == 1
    assert one_line_error(capsys).startswith("colorize: error: " + message.format(**paths))
    assert paths["processed"].read_bytes() == before and not paths["out"].exists()


def test_refine_without_output_is_bad_usage(tmp_path):
    with pytest.raises(SystemExit) as raised:
        cli.main(["refine", "gray.mp4", "processed.mp4"])
    assert raised.value.code == 2


def fake_engine(calls: list):
    """A stand-in for refine_video: checkpoints frame 0's shot, then is interrupted once."""
    def refine_video(gray, processed, write_frame, *, settings, checkpoints, progress):
        resumed = checkpoints.load("shot0", "key") is not None
        calls.append((settings.epochs, resumed))
        checkpoints.save("shot0", "key", np.zeros((1, 2, 2, 2), np.float32), 1.0)
        for index in range(len(processed)):
            if index == 3 and not resumed:
                raise KeyboardInterrupt
            write_frame(index, processed[index])
            progress((index + 1) / len(processed), f"shot 1/1, frame {index + 1}")
        return refine_report(len(processed), resumed)

    return refine_video


def test_interrupted_refine_leaves_nothing_and_a_rerun_resumes(tmp_path, capsys, monkeypatch):
    pipeline = pytest.importorskip("deep_video_prior.pipeline")
    calls: list = []
    monkeypatch.setattr(pipeline, "refine_video", fake_engine(calls))
    gray = save(tmp_path / "gray", gray_frames())
    processed = save(tmp_path / "processed", tinted(gray_frames()))
    command = ["refine", str(gray), str(processed), "-o", str(tmp_path / "out.mp4"),
               "--epochs", "3"]
    assert cli.main(command) == 130
    assert capsys.readouterr().err.splitlines() == [
        "colorize: note: frames from a folder have no frame rate: the video is timed at 25 fps",
        "colorize: error: interrupted"]
    assert sorted(os.listdir(tmp_path)) == ["cache", "gray", "processed"]  # no partial output
    assert len(checkpoint_folders(tmp_path)) == 1

    assert cli.main(command) == 0
    captured = capsys.readouterr()
    assert "colorize: resuming the interrupted run from its checkpoints" in captured.err
    assert "1 resumed from checkpoints" in captured.out
    assert calls == [(3, False), (3, True)]
    assert len(read_all(tmp_path / "out.mp4")) == FRAMES
    assert checkpoint_folders(tmp_path) == []

    # Other settings are another job: its checkpoints are not those of the first.
    assert cli.main(command[:-1] + ["4"]) == 130
    assert "resuming" not in capsys.readouterr().err and calls[-1] == (4, False)


# --------------------------------------------------------------------------------------------
# colorize video


def test_video_per_frame_keeps_lightness_and_audio(tmp_path, model_file, capsys):
    clip = save(tmp_path / "clip.mp4", gray_frames(), audio_from=tone(tmp_path / "tone.mp4"))
    frames = tmp_path / "frames"
    assert cli.main(["video", str(clip), "-o", str(frames), "--model", str(model_file),
                     "--no-refine", "--temperature", "0.3"]) == 0
    coloured, original = read_all(frames), read_all(clip)
    assert len(coloured) == FRAMES
    for result, source in zip(coloured, original):  # lossless PNG frames: L as the input's
        assert np.median(np.abs(lab_lightness(result) - lab_lightness(source))) < 1.0
    assert np.mean([np.ptp(frame, axis=2).mean() for frame in coloured]) > 0.01
    assert capsys.readouterr().out.startswith(f"colorized {FRAMES} frames with ")

    out = tmp_path / "coloured.mp4"
    assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_file),
                     "--no-refine"]) == 0
    info = video_in.probe_video(out)
    assert (info.frame_count, info.width, info.height, info.has_audio) == (FRAMES, 64, 48, True)


def test_video_refined_from_a_colour_clip_to_frames(tmp_path, model_file, capsys):
    pytest.importorskip("deep_video_prior.pipeline")
    clip = save(tmp_path / "colour.mp4", tinted(gray_frames()))
    out = tmp_path / "frames"
    assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_file),
                     "--epochs", "1"]) == 0
    captured = capsys.readouterr()
    assert f"colorize: note: {clip} is in colour: it is recoloured" in captured.err
    assert "and refined" in captured.out
    assert len(os.listdir(out)) == FRAMES
    assert media.read_image(out / "00000.png").pixels.shape == (HEIGHT, WIDTH, 3)


def test_video_refuses_to_overwrite_its_input(tmp_path, model_file, capsys):
    clip = save(tmp_path / "clip.mp4", gray_frames())
    before = clip.read_bytes()
    assert cli.main(["video", str(clip), "-o", str(clip), "--model", str(model_file)]) == 1
    assert one_line_error(capsys) == f"colorize: error: refusing to overwrite the input {clip}\n"
    assert clip.read_bytes() == before


def test_video_without_a_model_says_how_to_get_one(tmp_path, capsys):
    clip = save(tmp_path / "clip.mp4", gray_frames(3))
    assert cli.main(["video", str(clip), "-o", str(tmp_path / "out.mp4")]) == 1
    assert "colorize models download eccv16" in one_line_error(capsys)
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]


def test_refine_default_preset_is_the_filter_and_epochs_go_with_the_network_only(
        tmp_path, capsys):
    pytest.importorskip("deep_video_prior.pipeline")
    gray = save(tmp_path / "gray", gray_frames())
    processed = save(tmp_path / "processed", tinted(gray_frames()))
    out = tmp_path / "refined"
    assert cli.main(["refine", str(gray), str(processed), "-o", str(out),
                     "--preset", "fast"]) == 0
    assert len(read_all(out)) == FRAMES
    capsys.readouterr()
    assert cli.main(["refine", str(gray), str(processed), "-o", str(tmp_path / "r2"),
                     "--preset", "best", "--epochs", "2"]) == 1
    assert one_line_error(capsys) == ("colorize: error: --epochs and --no-irt train the "
                                      "network: they do not go with --preset best\n")


def test_video_takes_the_model_s_own_decoding_unless_a_temperature_is_given(tmp_path,
                                                                             capsys):
    """One temperature rule for every front (as colorize cnn): no --temperature is the
    model's recommended decoding (here T = 0.02, vivid); a given T overrides it."""
    pytest.importorskip("tensorflow")
    from algorithms.cnn.architecture import Architecture, random_weights
    from algorithms.cnn.colorizer import Colorizer
    from algorithms.cnn.model_weights import ModelWeights
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_writer import save_model

    tiny = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))
    bins = np.random.default_rng(3).uniform(-80, 80, (313, 2))
    model_path = tmp_path / "muted.npz"
    save_model(model_path, ModelWeights(
        random_weights(tiny, seed=8), bins,
        {"input_offset": 50.0, "input_scale": 100.0, "padding": "tf_same",
         "bn_epsilon": 1e-3, "decoding": {"temperature": 0.02}}), notes="tests")
    clip = tmp_path / "clip"
    clip.mkdir()
    for index, frame in enumerate(gray_frames(3)):
        media.write_image(clip / f"{index:03d}.png", frame)
    own, given = tmp_path / "own", tmp_path / "given"
    for out, extra in ((own, []), (given, ["--temperature", "1"])):
        assert cli.main(["video", str(clip), "-o", str(out), "--model", str(model_path),
                         "--no-refine", *extra]) == 0
    capsys.readouterr()
    model = load_model(model_path)
    with Colorizer(model) as colorizer:
        for index, frame in enumerate(read_all(clip)):
            at_own = colorizer.colorize(frame)  # the model's decoding: T = 0.02
            at_given = colorizer.colorize(frame, 1.0)
            assert np.abs(at_own - at_given).max() > 5 / 255  # told apart by the test
            for out, expected in ((own, at_own), (given, at_given)):
                written = media.read_image(out / f"{index:05d}.png").pixels
                np.testing.assert_allclose(written, expected, atol=1.5 / 255)
