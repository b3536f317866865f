"""`colorize batch` on real Dask clusters of 2 worker processes, with the tiny test model.

One cluster serves the module (its workers load TensorFlow once); one test starts the
command's own local cluster in a subprocess and stops it with Ctrl+C. Every worker process
started here must be gone when the module ends.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from colorize_app import cli
from colorize_app.batch import runner
from colorize_app.io import media, video_in, video_out
from colorize_app.io.batch_files import MANIFEST_NAME

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

#: Seconds any one wait here may take (a busy 2-core machine starts TensorFlow slowly).
TIMEOUT_S = 240


def descendants() -> set:
    """Processes started by this one (the multiprocessing resource tracker excepted)."""
    return {child for child in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(_cmdline(child))}


def _cmdline(process) -> list:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a 2-worker local cluster (processes), closed and checked at the end."""
    pytest.importorskip("tensorflow")
    from distributed import Client, LocalCluster

    before = descendants()
    environment = dict(os.environ)  # Dask's nannies set OMP_NUM_THREADS etc. in ours too
    with pytest.MonkeyPatch.context() as patch:
        # Workers inherit the environment: video checkpoints go to a temporary folder.
        patch.setenv("COLORIZE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        runner.configure_dask()
        patch.setattr("warnings.showwarning", lambda *args, **kwargs: None)  # port 8787 busy
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               preload=["colorize_app.batch.worker_tasks"])
    workers = descendants() - before
    try:
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=TIMEOUT_S)
        yield cluster.scheduler_address
    finally:
        cluster.close(timeout=60)
        os.environ.clear()
        os.environ.update(environment)
        _, alive = psutil.wait_procs(list(workers), timeout=60)
        assert not alive, f"worker processes left running: {alive}"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORIZE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["batch"])


def make_photos(folder, names, seed=0) -> list[str]:
    """Tiny synthetic gray photos (24 x 32) at ``names`` (relative paths) under ``folder``."""
    rng = np.random.default_rng(seed)
    paths = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        media.write_image(path, rng.random((24, 32)))
        paths.append(str(path))
    return paths


def read_manifest(folder) -> list[dict]:
    with open(folder / MANIFEST_NAME, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def results(folder) -> list[dict]:
    """The manifest's per-input records (not the per-run lines)."""
    return [record for record in read_manifest(folder) if "status" in record]


def files_under(folder) -> list[str]:
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, _, names in os.walk(folder) for name in names)


PHOTOS = ["a.png", "b.jpg", "1950/c.png", "1950/box/d.tif", "1960/e.png", "f.png"]
OUTPUTS = ["1950/box/d.png", "1950/c.png", "1960/e.png", "a.png", "b.png", "f.png"]


def test_a_folder_is_coloured_with_its_layout_and_a_corrupt_photo_skipped(
        tmp_path, scheduler, model_file, data_dir, capsys):
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io.model_files import load_model

    photos = tmp_path / "photos"
    make_photos(photos, PHOTOS)
    bad = photos / "1960" / "bad.png"
    media.write_image(bad, np.random.default_rng(5).random((24, 32)))
    data = bad.read_bytes()
    bad.write_bytes(data[:len(data) // 2])  # cut short, as by a failed copy
    out = tmp_path / "out"
    command = ["batch", "cnn", str(photos), "-o", str(out), "--model", str(model_file),
               "--size", "32", "--scheduler", scheduler]
    assert cli.main(command) == 1
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    # The test scheduler serves no dashboard (dashboard_address=None): no link is printed.
    assert not any("dashboard" in line for line in errors)
    assert errors[0].startswith(f"colorize: error: skipped {bad}: ") and "truncated" in errors[0]
    assert errors[-1] == (f"colorize: error: 1 of 7 inputs could not be colorized (first: "
                          f"{bad}); the others were written; the same command retries them")
    assert "colorized 6 photos (0 already done, 1 failed)" in captured.out
    assert files_under(out) == sorted(OUTPUTS + [MANIFEST_NAME])  # nothing partial or hidden
    records = {record["output"]: record for record in results(out)}
    assert records["1960/bad.png"]["status"] == "failed"
    assert "truncated" in records["1960/bad.png"]["error"]
    # Each worker loaded the model once, for its first photo, not once per photo.
    assert all(record["model_loads"] == 1 for record in records.values())
    assert 1 <= len({record["worker"] for record in records.values()}) <= 2
    # Known answer: each result is that photo colorized alone (up to TF thread rounding),
    # at the model's own decoding (no --temperature: the rule of colorize cnn).
    with Colorizer(load_model(model_file), input_size=32) as colorizer:
        for source, output in zip(sorted(PHOTOS), sorted(OUTPUTS, key=_by_source)):
            expected = colorizer.colorize(media.read_image(photos / source).pixels)
            written = media.read_image(out / output).pixels
            np.testing.assert_allclose(written, expected, atol=1.5 / 255)


def _by_source(output: str) -> str:
    return {os.path.splitext(name)[0]: name for name in PHOTOS}[os.path.splitext(output)[0]]


def test_an_interrupted_job_resumes_with_only_the_rest(
        tmp_path, scheduler, model_file, data_dir, monkeypatch, capsys):
    photos = tmp_path / "photos"
    make_photos(photos, PHOTOS, seed=1)
    out = tmp_path / "out"
    command = ["batch", "cnn", str(photos), "-o", str(out), "--model", str(model_file),
               "--size", "32", "--scheduler", scheduler]
    run_items = runner.run_items

    def stopped_after_three(*args, **kwargs):
        seen = []

        def on_result(item, record) -> None:
            seen.append(item)
            if len(seen) == 3:
                raise KeyboardInterrupt  # Ctrl+C with three photos on record

        return run_items(*args, **kwargs, on_result=on_result)

    monkeypatch.setattr(runner, "run_items", stopped_after_three)
    assert cli.main(command) == 130
    first = results(out)
    assert len(first) == 3 and all(record["status"] == "done" for record in first)
    assert "stopped after 3 of 6 photos" in capsys.readouterr().err
    monkeypatch.setattr(runner, "run_items", run_items)
    assert cli.main(command) == 0
    captured = capsys.readouterr()
    assert "colorized 3 photos (3 already done, 0 failed)" in captured.out
    assert "3 of 6 photos already done" in captured.err
    second = results(out)[3:]
    assert {record["run"] for record in second} != {record["run"] for record in first}
    assert sorted(r["output"] for r in first + second) == sorted(OUTPUTS)  # each once
    assert files_under(out) == sorted(OUTPUTS + [MANIFEST_NAME])
    assert cli.main(command) == 0
    assert capsys.readouterr().out.startswith("nothing to do: all 6 photos are done")
    # A changed scan is done again; the others stay done.
    make_photos(photos, ["f.png"], seed=9)
    assert cli.main(command) == 0
    assert "colorized 1 photo (5 already done, 0 failed)" in capsys.readouterr().out
    assert results(out)[-1]["output"] == "f.png"


def test_ctrl_c_stops_the_local_cluster_cleanly(tmp_path, scheduler, model_file, data_dir):
    """The command's own 2-worker cluster: Ctrl+C (to the process group, as a terminal
    sends it) ends every process without a traceback; the next run does the photos."""
    photos = tmp_path / "photos"
    make_photos(photos, PHOTOS, seed=2)
    out = tmp_path / "out"
    options = [str(photos), "-o", str(out), "--model", str(model_file), "--size", "32"]
    process = subprocess.Popen(
        [sys.executable, "-m", "colorize_app.cli", "batch", "cnn", *options, "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # A terminal's foreground job takes Ctrl+C; a background one inherits it ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    started = psutil.Process(process.pid)
    children: set = set()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        # Once the run is on record, the workers are up (and still loading TensorFlow).
        while process.poll() is None and time.monotonic() < deadline:
            children |= set(started.children(recursive=True))
            if (out / MANIFEST_NAME).exists() and read_manifest(out):
                break
            time.sleep(0.05)
        children |= set(started.children(recursive=True))
        os.killpg(process.pid, signal.SIGINT)
        _, error = process.communicate(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, error
    assert "Traceback" not in error
    assert error.strip().splitlines()[-1] == "colorize: error: interrupted"
    assert len(children) >= 2  # the two workers (and their nannies' helpers) were seen
    _, alive = psutil.wait_procs(list(children), timeout=30)
    assert not alive, f"processes left running after Ctrl+C: {alive}"
    assert not [name for name in files_under(out) if ".partial" in name]
    done_before = {record["output"] for record in results(out)}
    assert cli.main(["batch", "cnn", *options, "--scheduler", scheduler]) == 0
    assert {record["output"] for record in results(out)} == set(OUTPUTS)
    assert {record["output"] for record in results(out)[len(done_before):]} == \
        set(OUTPUTS) - done_before


def make_video(path, frames=8, seed=0) -> None:
    rng = np.random.default_rng(seed)
    base = rng.random((48, 64))
    path.parent.mkdir(parents=True, exist_ok=True)
    with video_out.FrameWriter(str(path), fps=10) as writer:
        for index in range(frames):
            writer.write(np.repeat(np.roll(base, index, axis=1)[..., None], 3, axis=2))


def test_videos_are_coloured_one_per_task_and_a_broken_one_skipped(
        tmp_path, scheduler, model_file, data_dir, capsys):
    films = tmp_path / "films"
    make_video(films / "a.mp4")
    make_video(films / "reel2" / "b.mov", frames=6, seed=1)
    (films / "reel2" / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    assert cli.main(["batch", "video", str(films), "-o", str(out), "--model", str(model_file),
                     "--epochs", "1", "--scheduler", scheduler]) == 1
    captured = capsys.readouterr()
    assert f"colorize: error: skipped {films / 'reel2' / 'broken.mp4'}: " in captured.err
    assert "colorized 2 videos (0 already done, 1 failed)" in captured.out
    assert files_under(out) == sorted(["a.mp4", "reel2/b.mp4", MANIFEST_NAME])
    assert len(video_in.open_frames(str(out / "a.mp4"))) == 8
    assert len(video_in.open_frames(str(out / "reel2" / "b.mp4"))) == 6


def test_a_worker_with_another_model_stops_the_job_in_one_line(
        tmp_path, scheduler, model_file, data_dir, monkeypatch, capsys):
    from colorize_app.commands import batch

    photos = tmp_path / "photos"
    make_photos(photos, PHOTOS[:2])
    checked = batch._model

    def other_checksum(spec):
        name, _, description = checked(spec)
        return name, "0" * 64, description

    monkeypatch.setattr(batch, "_model", other_checksum)
    out = tmp_path / "out"
    assert cli.main(["batch", "cnn", str(photos), "-o", str(out), "--model", str(model_file),
                     "--size", "32", "--scheduler", scheduler]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"colorize: error: the batch job stopped: the model {model_file} ")
    assert last.endswith("is not the client's (different contents)")
    assert results(out) == [] and files_under(out) == [MANIFEST_NAME]


def make_two_shot_video(path) -> None:
    """16 frames: 8 of a dark scene, a hard cut, 8 of a bright one (a disc moving in each)."""
    rows, columns = np.mgrid[0:48, 0:64]
    path.parent.mkdir(parents=True, exist_ok=True)
    with video_out.FrameWriter(str(path), fps=10) as writer:
        for cut in (False, True):
            for index in range(8):
                disc = (rows - 24) ** 2 + (columns - 10 - 3 * index) ** 2 < 64
                gray = (0.85 - 0.3 * rows / 48 - 0.3 * disc) if cut else \
                    (0.15 + 0.25 * columns / 64 + 0.3 * disc)
                writer.write(np.repeat(gray[..., None], 3, axis=2))


def test_video_shots_are_the_unit_of_work_and_a_rerun_does_only_the_missing_shot(
        tmp_path, scheduler, model_file, data_dir, monkeypatch, capsys):
    from colorize_app.batch.video_shots import PARTS_FOLDER

    films = tmp_path / "films"
    make_two_shot_video(films / "cut.mp4")
    out = tmp_path / "out"
    command = ["batch", "video", str(films), "-o", str(out), "--model", str(model_file),
               "--epochs", "1", "--scheduler", scheduler]
    run_items = runner.run_items

    def stopped_after_one_shot(*args, **kwargs):
        def on_result(item, record) -> None:
            if kwargs["label"] == "shots":
                raise KeyboardInterrupt  # Ctrl+C with one shot on record

        return run_items(*args, **kwargs, on_result=on_result)

    monkeypatch.setattr(runner, "run_items", stopped_after_one_shot)
    assert cli.main(command) == 130
    first = results(out)
    shots = os.path.join(PARTS_FOLDER, "cut.mp4", "shots")
    assert [record["output"] for record in first][0] == shots
    assert first[0]["shots"] == [[0, 8], [8, 16]]
    assert len(first) == 2 and first[1]["status"] == "done"
    done_shot = first[1]["output"]
    assert not (out / "cut.mp4").exists() and (out / done_shot).is_dir()
    capsys.readouterr()

    monkeypatch.setattr(runner, "run_items", run_items)
    assert cli.main(command) == 0
    assert "colorized 1 video (0 already done, 0 failed)" in capsys.readouterr().out
    second = results(out)[2:]
    missing = ({os.path.join(PARTS_FOLDER, "cut.mp4", f"shot-000{i}") for i in (0, 1)}
               - {done_shot})
    assert [record["output"] for record in second] == [*missing, "cut.mp4"]  # not found again
    assert second[-1]["shots"] == [[0, 8], [8, 16]] and second[-1]["status"] == "done"
    assert files_under(out) == sorted(["cut.mp4", MANIFEST_NAME])  # the parts are gone
    assert len(video_in.open_frames(str(out / "cut.mp4"))) == 16


def _tinted(gray, a: float, b: float):
    """A colour image with ``gray``'s lightness and chroma (a, b)."""
    from algorithms.colorspace import lab_lightness, lab_to_rgb_keep_lightness

    lightness = lab_lightness(gray)
    lab = np.stack([lightness, np.full_like(lightness, a), np.full_like(lightness, b)], axis=-1)
    return lab_to_rgb_keep_lightness(lab.astype(np.float32))


def _mean_chroma(path, frames: range) -> np.ndarray:
    from algorithms.colorspace import rgb_to_lab

    video = video_in.open_frames(str(path))
    return np.mean([rgb_to_lab(video[index])[..., 1:].mean(axis=(0, 1)) for index in frames],
                   axis=0)


def test_keyframes_colour_their_own_shot_and_changed_keyframes_redo_only_their_video(
        tmp_path, scheduler, model_file, data_dir, capsys):
    """A keyframe at frame 9 colours the second shot of the cut video (not the first: no
    colour crosses a cut); a video without a keyframes folder is coloured automatically,
    one with a bad keyframe fails alone, and new keyframes redo only their video."""
    films = tmp_path / "films"
    make_two_shot_video(films / "cut.mp4")
    make_video(films / "plain.mp4")
    make_video(films / "bad.mp4")
    keys = tmp_path / "keys"
    (keys / "cut").mkdir(parents=True)
    (keys / "bad").mkdir()
    frame_9 = video_in.open_frames(str(films / "cut.mp4"))[9]
    media.write_image(str(keys / "cut" / "0009.png"), _tinted(frame_9, 45.0, 30.0))
    media.write_image(str(keys / "bad" / "0099.png"), _tinted(frame_9, 45.0, 30.0))
    command = ["batch", "video", str(films), "-o", str(tmp_path / "keyed"), "--model",
               str(model_file), "--no-refine", "--keyframes", str(keys), "--scheduler",
               scheduler]
    assert cli.main(command) == 1
    captured = capsys.readouterr()
    assert f"colorize: error: skipped {films / 'bad.mp4'}: " in captured.err
    assert "keyframe 0099.png" in captured.err
    assert "colorized 2 videos (0 already done, 1 failed)" in captured.out
    assert cli.main(["batch", "video", str(films / "cut.mp4"), "-o", str(tmp_path / "plain"),
                     "--model", str(model_file), "--no-refine", "--scheduler",
                     scheduler]) == 0
    keyed, plain = tmp_path / "keyed" / "cut.mp4", tmp_path / "plain" / "cut.mp4"
    second_shot = _mean_chroma(keyed, range(8, 16))
    assert second_shot[0] > 25 and second_shot[1] > 15  # the keyframe's red-orange
    np.testing.assert_allclose(_mean_chroma(keyed, range(8)), _mean_chroma(plain, range(8)),
                               atol=1.0)  # the first shot as without keyframes
    assert np.abs(_mean_chroma(plain, range(8, 16)) - second_shot).max() > 15

    media.write_image(str(keys / "cut" / "0009.png"), _tinted(frame_9, -40.0, -30.0))
    (keys / "bad" / "0099.png").unlink()
    assert cli.main(command) == 0
    assert "colorized 2 videos (1 already done, 0 failed)" in capsys.readouterr().out
    second_shot = _mean_chroma(keyed, range(8, 16))
    assert second_shot[0] < -20 and second_shot[1] < -15  # the new keyframe's green-blue
