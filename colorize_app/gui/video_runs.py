"""The video window's jobs: start a run or an export, and report what it came to.

A run is the session's video job in one background job (colorize the missing frames, then
refine, resuming finished shots); an export writes the refined frames as an mp4 or a folder.
What each came to is said in the report line under the scrubber. Mixed into the window (a
``MethodWindow`` holding ``session``, ``picker`` and ``scrubber``); it never imports the
window module.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PyQt5.QtWidgets import QFileDialog, QLabel, QMessageBox

from colorize_app.gui import settings
from colorize_app.gui.model_picker import (
    ModelChoice,
    ask_to_download,
    obtain_colorizer,
    start_download,
)
from colorize_app.gui.qt_objects import present
from colorize_app.jobs.video_job import JobReport
from deep_video_prior.settings import RefineReport

if TYPE_CHECKING:
    from colorize_app.gui.video_state import VideoHost as _Window
else:
    _Window = object


def run_summary(result: JobReport, notes: list[str]) -> str:
    """What a run came to, in a line: frames, shots (resumed), keyframes, seconds."""
    parts = []
    refine, keys = result.refine, result.keyframes
    if refine is not None:
        shots = len(refine.shots)
        resumed = f", {len(refine.resumed_shots)} resumed" if refine.resumed_shots else ""
        parts.append(f"refined {refine.frames} frames in {shots} shot"
                     f"{'s' if shots != 1 else ''}{resumed} ({refine.seconds:.0f} s)")
    if keys is not None:
        used = sorted({frame for frames in keys.keyframes_by_shot for frame in frames})
        share = (sum(keys.keyframe_share) / len(keys.keyframe_share)
                 if keys.keyframe_share else 0.0)
        parts.append(f"{len(used)} keyframe{'s' if len(used) != 1 else ''} carried through "
                     f"{sum(1 for frames in keys.keyframes_by_shot if frames)} shot(s), "
                     f"{share:.0%} of the pixels from keyframes ({keys.seconds:.0f} s)")
    if not parts:
        parts.append(f"wrote {result.frames} frames")
    return ("Done: " + "; ".join(parts) + (f"; {'; '.join(notes)}" if notes else "")
            + ". Export with Ctrl+E.")


class VideoRunsMixin(_Window):
    """The video window's run, work-file and export actions (mixed into VideoWindow), which
    keep the colorizer a run loaded for the next one."""

    report_label: QLabel  # the report line under the scrubber (the window lays it out)
    colorizer: Any  # the algorithms.cnn colorizer the last run loaded, or None
    _colorizer_choice: ModelChoice | None  # the model ``colorizer`` was loaded from
    last_report: RefineReport | None  # the refinement's report of the last run

    def set_report(self, text: str) -> None:
        """Say what the last run or export came to (under the scrubber)."""
        self.report_label.setText(text)
        self.report_label.setToolTip(text)

    def _job_finished(self, outcome: str) -> None:
        if outcome == "cancelled" and self.session.started():
            self.set_report(f"{self.jobs.outcome_text}. Finished frames and shots are kept: "
                            "Resume (Ctrl+R) goes on from there.")
        elif outcome != "done":
            self.set_report(self.jobs.outcome_text + ".")

    # -- running --------------------------------------------------------------------------

    def run(self) -> bool:
        """Colorize the missing frames, then refine (resuming finished shots), in a job."""
        if self.source is None or self.jobs.busy:
            return False
        choice = self.picker.current()
        if choice is None:
            if ask_to_download(self):
                start_download(self.jobs, self.picker)
            return False
        # The job's cancel check, for a model still loading (set when the job starts).
        state = {"colorizer": self.colorizer if choice == self._colorizer_choice else None,
                 "cancelled": None}

        def colorizer(report):
            if state["colorizer"] is None:  # loaded in the job, only when a frame needs it
                state["colorizer"] = obtain_colorizer(choice, report, state["cancelled"])
            return state["colorizer"]

        job, notes = self.session.prepare_run(colorizer)

        def task(progress, cancelled):
            state["cancelled"] = cancelled
            return job.run(progress, cancelled)

        def finished(result) -> None:
            self.last_report = result.refine  # None when the refined frames were reused
            self.set_report(run_summary(result, notes))

        def keep_colorizer(_outcome: str) -> None:
            self.jobs.finished.disconnect(keep_colorizer)
            built = state["colorizer"]
            if built is not None and built is not self.colorizer:
                if self.colorizer is not None:
                    self.colorizer.close()  # another model's: its session is not needed
                self.colorizer, self._colorizer_choice = built, choice
            self.show_frame(self.scrubber.index)
            self.mark_changed()  # a run's frames are in the work folder the project names

        self.jobs.finished.connect(keep_colorizer)
        started = self.jobs.start(task, finished, "Colorize video")
        self._update_actions()
        return started

    def delete_work_files(self) -> None:
        """Remove the work folder of this video and model (frames and checkpoints)."""
        work = self.session.work
        if work is None or self.jobs.busy:
            return
        if QMessageBox.question(
                self, "Delete work files",
                f"Delete the colorized frames of this video (in {work})? A new run "
                "starts from the beginning.") != QMessageBox.Yes:
            return
        self.session.delete_work()
        self.show_frame(self.scrubber.index)
        self._update_actions()

    # -- export ---------------------------------------------------------------------------

    def export_video(self) -> None:
        stem = os.path.splitext(os.path.basename(os.path.normpath(self.source.path)))[0]
        path = self.ask_save("Export video", "export", "MP4 video (*.mp4)",
                             f"{stem}_colorized.mp4")
        if path:
            if not os.path.splitext(path)[1]:
                path += ".mp4"
            self.export_to(path)

    def export_frames(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export frames into",
                                                  self.start_folder("export"))
        if folder:
            settings.set_value("folders/export", folder)
            stem = os.path.splitext(os.path.basename(os.path.normpath(self.source.path)))[0]
            self.export_to(os.path.join(folder, f"{stem}_colorized"))

    def export_to(self, path: str) -> bool:
        """Write the refined frames to ``path`` (a video file, with the source's audio, or a
        new folder of PNG frames); nothing is left behind when cancelled."""
        if not self.session.finished() or self.jobs.busy:
            return False
        export = self.session.exporter(path)

        def task(progress, cancelled):
            return export(progress, cancelled)

        def done(notes) -> None:
            extra = f" ({'; '.join(notes)})" if notes else ""
            self.set_report(f"Exported {path}{extra}")
            present(self.statusBar()).showMessage(f"Exported {path}{extra}", 20000)

        return self.jobs.start(task, done, "Export")
