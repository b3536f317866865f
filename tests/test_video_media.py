"""Video files and frame folders in and out: round trips, audio, odd inputs, atomic writes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from algorithms.errors import BadInputError
from algorithms.metrics import psnr
from colorize_app.io import media, video_in, video_out
from colorize_app.io.video_in import ffmpeg_exe


def ffmpeg(*arguments: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    *arguments], check=True)


def make_clip(path: Path, *, seconds: float = 1.0, rate: str = "12", size: str = "64x48",
              tone: bool = False, audio_codec: str = "aac", extra: tuple = ()) -> Path:
    """A testsrc clip (every frame different), optionally with a 440 Hz tone."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    audio = ["-an"]
    if tone:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
        audio = ["-c:a", audio_codec]
    ffmpeg(*inputs, "-t", str(seconds), *extra, "-pix_fmt", "yuv420p", *audio, str(path))
    return path


def moving_frames(count: int, height: int = 48, width: int = 64) -> list[np.ndarray]:
    """Smooth colour gradients with a bright square moving right: frames easy to compress."""
    rows, columns = np.mgrid[0:height, 0:width] / max(height, width)
    frames = []
    for index in range(count):
        frame = np.stack([rows, columns, 0.5 * (rows + columns)], axis=2) * 0.6 + 0.2
        frame[10:26, 4 + 3 * index:20 + 3 * index] = (0.9, 0.8, 0.3)
        frames.append(frame.astype(np.float32))
    return frames


def write_frames(path: Path, frames, **options) -> video_out.FrameWriter:
    with video_out.FrameWriter(path, **options) as writer:
        for frame in frames:
            writer.write(frame)
    return writer


def decoded_audio(path: Path, rate: int = 8000) -> np.ndarray:
    """The audio track as mono float samples at ``rate`` Hz."""
    raw = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
                          "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float64) / 32768.0


# --------------------------------------------------------------------------------------------
# Round trips


def test_png_folder_round_trip_is_exact(tmp_path, rng):
    frames = [rng.integers(0, 256, (9, 7, 3)) / 255.0 for _ in range(3)]
    writer = write_frames(tmp_path / "frames", frames)
    assert writer.notes == [] and writer.frames_written == 3
    assert sorted(os.listdir(tmp_path / "frames")) == ["00000.png", "00001.png", "00002.png"]
    source = video_in.open_frames(tmp_path / "frames")
    assert (len(source), source.width, source.height, source.is_folder) == (3, 7, 9, True)
    for index, frame in enumerate(frames):
        assert source[index].dtype == np.float32
        np.testing.assert_array_equal(np.rint(source[index] * 255), np.rint(frame * 255))


def test_mp4_round_trip_is_close_and_keeps_the_rate(tmp_path):
    frames = moving_frames(10)
    write_frames(tmp_path / "clip.mp4", frames, fps=30000 / 1001)
    source = video_in.open_frames(tmp_path / "clip.mp4")
    assert (len(source), source.width, source.height) == (10, 64, 48)
    assert source.fps == pytest.approx(30000 / 1001, rel=1e-9)
    assert not source.has_audio and not source.is_folder and source.notes == ()
    for index in (0, 5, 9):  # lossy (4:2:0 chroma), about as close as a good JPEG
        assert psnr(source[index], frames[index]) > 32


@pytest.mark.parametrize("extension", [".mp4", ".mov", ".mkv", ".avi", ".webm"])
def test_every_container_round_trips_and_random_access_matches(tmp_path, extension):
    path = make_clip(tmp_path / f"clip{extension}", extra=("-g", "4"))
    source = video_in.open_frames(path)
    assert (len(source), source.width, source.height, source.fps) == (12, 64, 48, 12.0)
    in_order = [source[index].copy() for index in range(len(source))]
    assert not any(np.array_equal(a, b) for a, b in zip(in_order, in_order[1:]))
    again = source.reopened()
    for index in (9, 2, 11, 0, 6, -1):  # backwards and forwards: restarts and seeks
        np.testing.assert_array_equal(again[index], in_order[index])
    out = tmp_path / f"copy{extension}"
    write_frames(out, in_order, fps=source.fps)
    assert len(video_in.open_frames(out)) == 12


def test_natural_order_of_a_frame_folder(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for number in (10, 2, 1):
        media.write_image(folder / f"frame{number}.png", np.full((4, 5), number / 10))
    source = video_in.open_frames(folder)
    assert [round(float(source[i][0, 0, 0]) * 10) for i in range(3)] == [1, 2, 10]
    assert source[0].shape == (4, 5, 3)  # gray frames as R = G = B


def test_slices_are_lazy_views(tmp_path, rng):
    frames = [rng.random((4, 4, 3)) for _ in range(5)]
    write_frames(tmp_path / "frames", frames)
    view = video_in.open_frames(tmp_path / "frames")[1:4]
    assert len(view) == 3
    np.testing.assert_allclose(view[-1], frames[3], atol=0.5 / 255)


# --------------------------------------------------------------------------------------------
# Audio


def test_audio_survives_a_round_trip(tmp_path):
    source_path = make_clip(tmp_path / "tone.mp4", tone=True)
    source = video_in.open_frames(source_path)
    assert source.has_audio
    out = tmp_path / "out.mp4"
    writer = write_frames(out, [source[i] for i in range(len(source))], fps=source.fps,
                          audio_from=source_path, inputs=[source_path])
    assert writer.notes == []  # AAC is copied into .mp4 as it is
    info = video_in.probe_video(out)
    assert info.has_audio and info.audio_codec == "aac" and info.frame_count == 12
    samples = decoded_audio(out)
    assert len(samples) / 8000 == pytest.approx(1.0, abs=0.1)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    assert np.fft.rfftfreq(len(samples), 1 / 8000)[spectrum.argmax()] == pytest.approx(440, abs=5)


@pytest.mark.parametrize("source_name, codec, output_name, expected", [
    ("tone.mkv", "pcm_s16le", "out.mp4", "aac"),  # mp4 may hold PCM, but players expect AAC
    ("tone.mp4", "aac", "out.webm", "opus"),  # WebM cannot hold AAC at all
])
def test_audio_a_container_should_not_hold_is_reencoded_with_a_note(
        tmp_path, source_name, codec, output_name, expected):
    source_path = make_clip(tmp_path / source_name, tone=True, audio_codec=codec)
    assert video_in.probe_video(source_path).audio_codec == codec
    writer = write_frames(tmp_path / output_name, moving_frames(12), fps=12,
                          audio_from=source_path)
    extension = os.path.splitext(output_name)[1]
    assert writer.notes == [f"audio re-encoded from {codec} to {expected} for {extension} "
                            "playback"]
    assert video_in.probe_video(tmp_path / output_name).audio_codec == expected


def test_audio_is_copied_into_mkv_as_it_is(tmp_path):
    source_path = make_clip(tmp_path / "tone.mkv", tone=True, audio_codec="pcm_s16le")
    writer = write_frames(tmp_path / "out.mkv", moving_frames(12), fps=12,
                          audio_from=source_path)
    assert writer.notes == []
    assert video_in.probe_video(tmp_path / "out.mkv").audio_codec == "pcm_s16le"


def test_a_folder_output_or_a_silent_source_has_no_audio(tmp_path):
    silent = make_clip(tmp_path / "silent.mp4")
    write_frames(tmp_path / "out.mp4", moving_frames(3), audio_from=silent)
    assert not video_in.probe_video(tmp_path / "out.mp4").has_audio
    write_frames(tmp_path / "frames", moving_frames(3), audio_from=silent)
    assert len(os.listdir(tmp_path / "frames")) == 3


# --------------------------------------------------------------------------------------------
# Odd inputs


def test_odd_sizes_are_padded_by_repeating_the_edge(tmp_path):
    frame = np.zeros((49, 65, 3), np.float32)
    frame[:, -1] = (1.0, 1.0, 1.0)  # last column white, so the padding column is white too
    frame[-1, :] = (1.0, 1.0, 1.0)
    writer = write_frames(tmp_path / "odd.mp4", [frame] * 4, fps=10)
    assert writer.notes == ["frames of 65 x 49 padded to 66 x 50 by repeating the edge "
                            "(the video codec needs even sizes)"]
    decoded = video_in.open_frames(tmp_path / "odd.mp4")[0]
    assert decoded.shape == (50, 66, 3)
    assert decoded[:40, -1].mean() > 0.9 and decoded[-1, :50].mean() > 0.9
    assert decoded[:40, :40].mean() < 0.05


def test_variable_frame_rate_is_noted_and_averaged(tmp_path):
    path = make_clip(tmp_path / "vfr.mp4", seconds=2,
                     extra=("-vf", "setpts='(N+floor(N/3))/12/TB'", "-fps_mode", "passthrough"))
    source = video_in.open_frames(path)
    assert len(source) == 18  # frames N with N + floor(N / 3) < 24
    span = (17 + 17 // 3) / 12  # seconds from the first frame to the last
    assert source.fps == pytest.approx(17 / span, rel=1e-3)
    assert source.notes == (f"{path} has a variable frame rate: the output is timed at its "
                            f"average rate, {17 / span:.3f} fps",)
    frames = [source[index] for index in range(len(source))]  # none dropped or repeated
    assert not any(np.array_equal(a, b) for a, b in zip(frames, frames[1:]))


def test_a_rotated_video_is_read_upright(tmp_path, capsys):
    clip = make_clip(tmp_path / "clip.mp4")
    ffmpeg("-display_rotation", "90", "-i", str(clip), "-c", "copy", str(tmp_path / "rot.mp4"))
    source = video_in.open_frames(tmp_path / "rot.mp4")
    assert (source.width, source.height) == (48, 64)
    # display_rotation counts counter-clockwise; decoding applies it exactly
    np.testing.assert_array_equal(source[5], np.rot90(video_in.open_frames(clip)[5], 1))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("content, message", [
    (None, "no such file: {path}"),
    (b"", "{path} is empty (0 bytes)"),
    (b"\x00\x01 definitely not a video" * 40, "{path} is not a video that can be read ("),
])
def test_unreadable_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "broken.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInputError) as raised:
        video_in.open_frames(path)
    assert str(raised.value).startswith(message.format(path=path))
    assert "\n" not in str(raised.value)


def test_frames_over_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "big.mp4", seconds=0.25)  # 64 x 48 = 3072 pixels a frame
    (tmp_path / "frames").mkdir()
    media.write_image(tmp_path / "frames" / "f1.png", np.zeros((48, 64), np.float32))
    monkeypatch.setattr(media, "MAX_PIXELS", 3071)
    decoded = []
    monkeypatch.setattr(video_in.FrameSource, "__getitem__",
                        lambda self, index: decoded.append(index))
    with pytest.raises(BadInputError, match=f"^{clip} is too large \\(64 x 48 pixels per "
                                            "frame, over 3,071\\)$"):
        video_in.open_frames(clip)
    with pytest.raises(BadInputError, match="frames is too large \\(64 x 48 pixels"):
        video_in.open_frames(tmp_path / "frames")
    monkeypatch.setattr(media, "MAX_PIXELS", 3072)
    assert len(video_in.open_frames(clip)) == 3 and decoded == []


def test_truncated_video_is_refused(tmp_path):
    whole = make_clip(tmp_path / "whole.mp4").read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(BadInputError, match="cut.mp4"):
        source = video_in.open_frames(path)
        [source[index] for index in range(len(source))]


def test_zero_frames_and_no_video_stream(tmp_path):
    empty = tmp_path / "zero.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=12", "-frames:v", "0", str(empty))
    with pytest.raises(BadInputError, match=f"^{empty} has no video frames$"):
        video_in.open_frames(empty)
    sound = tmp_path / "sound.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.5", str(sound))
    with pytest.raises(BadInputError, match=f"^{sound} has no video stream$"):
        video_in.open_frames(sound)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(BadInputError, match="^no frames \\(image files\\) in folder"):
        video_in.open_frames(tmp_path / "nothing")


def test_frames_of_different_sizes_name_the_file(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    media.write_image(folder / "1.png", np.zeros((4, 6)))
    media.write_image(folder / "2.png", np.zeros((4, 6)))
    media.write_image(folder / "10.png", np.zeros((5, 6)))
    with pytest.raises(BadInputError) as raised:
        video_in.open_frames(folder)
    assert str(raised.value) == f"{folder / '10.png'} is 6 x 5, but the frames before it are 6 x 4"


def test_frames_of_another_size_cannot_be_written(tmp_path):
    with pytest.raises(BadInputError, match="frame 2 is 6 x 4, but the first frame was 8 x 4"):
        write_frames(tmp_path / "out.mp4", [np.zeros((4, 8)), np.zeros((4, 6))])
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------------
# Atomic writes


@pytest.mark.parametrize("name", ["out.mp4", "frames"])
@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError])
def test_an_exception_leaves_nothing_behind(tmp_path, name, error):
    with pytest.raises(error):
        with video_out.FrameWriter(tmp_path / name, fps=10) as writer:
            for frame in moving_frames(3):
                writer.write(frame)
            raise error()
    assert os.listdir(tmp_path) == []


def test_no_frames_written_is_an_error_and_leaves_nothing(tmp_path):
    with pytest.raises(BadInputError, match="no frames to write"):
        with video_out.FrameWriter(tmp_path / "out.mp4"):
            pass
    assert os.listdir(tmp_path) == []


def test_an_encoder_failure_is_one_line_and_leaves_the_old_output(tmp_path, monkeypatch):
    monkeypatch.setattr(video_out, "H264_CRF", "high")  # ffmpeg wants a number
    (tmp_path / "out.mp4").write_bytes(b"previous result")
    with pytest.raises(BadInputError) as raised:
        write_frames(tmp_path / "out.mp4", moving_frames(2))
    assert str(raised.value).startswith(f"ffmpeg could not encode {tmp_path / 'out.mp4'} (")
    assert "\n" not in str(raised.value)
    assert (tmp_path / "out.mp4").read_bytes() == b"previous result"
    assert os.listdir(tmp_path) == ["out.mp4"]


def test_inputs_are_never_overwritten(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4")
    before = clip.read_bytes()
    with pytest.raises(BadInputError, match="refusing to overwrite the input"):
        write_frames(clip, moving_frames(2), inputs=[clip])
    write_frames(tmp_path / "frames", moving_frames(2))
    with pytest.raises(BadInputError, match="refusing to overwrite the input"):
        write_frames(tmp_path / "frames", moving_frames(2), inputs=[tmp_path / "frames"])
    assert clip.read_bytes() == before


def test_a_folder_with_other_files_is_refused_and_old_frames_are_replaced(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BadInputError, match="already exists and holds other files"):
        write_frames(folder, moving_frames(2))
    assert os.listdir(folder) == ["notes.txt"]
    write_frames(tmp_path / "old", moving_frames(4))
    write_frames(tmp_path / "old", moving_frames(2))
    assert sorted(os.listdir(tmp_path / "old")) == ["00000.png", "00001.png"]
    assert sorted(os.listdir(tmp_path)) == ["frames", "old"]
