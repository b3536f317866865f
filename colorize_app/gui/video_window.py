"""The video window: colorize every frame with the CNN, then remove the flicker.

The window shows a :class:`~colorize_app.sessions.video.VideoSession` (``self.session``):
the video, model, quality settings and the run's work folder. A run is the session's video
job in one background job: the per-frame colorization, written frame by frame into the
work folder (so an interrupted run keeps them), then the refinement, which keeps a
checkpoint per finished shot there. Running again with the same video, model and preset
resumes: frames already colorized and shots already trained are not redone. The scrubber
and Play show the refined frames, and Export writes an mp4 with the original audio, or a
folder of frames.

This module builds the window and binds its widgets to the session; starting runs and
exports and reporting them is :mod:`colorize_app.gui.video_runs`'s, keyframes are
:mod:`colorize_app.gui.video_keyframes`'s and projects :mod:`colorize_app.gui.video_state`'s.
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMenu,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from algorithms.errors import ColorizeError
from colorize_app.gui import settings
from colorize_app.gui.base_window import PROJECT_FILTER, MethodWindow
from colorize_app.gui.frame_scrubber import FrameScrubber
from colorize_app.gui.image_view import ComparisonView
from colorize_app.gui.model_picker import ModelPicker, ask_model_file
from colorize_app.gui.qt_objects import present
from colorize_app.gui.video_keyframes import VideoKeyframesMixin
from colorize_app.gui.video_runs import VideoRunsMixin
from colorize_app.gui.video_state import VIDEO_FILTER, VideoProjectMixin
from colorize_app.jobs.video_frames import FrameFolder
from colorize_app.sessions.video import (
    DEFAULT_PRESET,
    EPOCHS_RANGE,
    SHOW_CHOICES,
    VideoSession,
)
from colorize_app.sessions.video_memory import check_video_memory
from colorize_app.sessions.video_presets import preset_labelled, preset_labels
from deep_video_prior import RefineSettings


class VideoWindow(VideoRunsMixin, VideoKeyframesMixin, VideoProjectMixin,
                  MethodWindow):
    """Open a video, colorize and refine it, scrub and play, export.

    Its widgets show ``self.session``; its project (``colorize_app.gui.video_state``) keeps
    the video, model and settings, and the work folder, so that opening it resumes the run.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Video colorization", parent)
        self.session = VideoSession()
        self._binding = False  # True while widgets are set from the session
        self.colorizer = None  # kept by a run for the next (colorize_app.gui.video_runs)
        self._colorizer_choice = None
        self.last_report = None  # deep_video_prior.RefineReport of the last run
        # What the last run or export came to, under the scrubber: the status line keeps
        # the running job's words and time left. (A stretching permanent status-bar label
        # here once squeezed the status line to nothing.) A long text must not widen the
        # window past the screen: it is cut, in full in its tooltip.
        self.report_label = QLabel("")
        self.report_label.setObjectName("run_report")
        self.report_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

        self.view = ComparisonView("Before / after")
        self.watch_view(self.view.view)
        self.scrubber = FrameScrubber()
        self.scrubber.frame_changed.connect(self.show_frame)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.scrubber)
        layout.addWidget(self.report_label)
        self.setCentralWidget(central)
        self._build_actions()
        self.jobs.finished.connect(lambda _outcome: self._update_actions())
        self.scrubber.frame_changed.connect(lambda _index: self.update_keyframe_actions())
        self.jobs.finished.connect(self._job_finished)
        self.jobs.started.connect(self._update_actions)
        self._update_actions()

    # -- user interface -------------------------------------------------------------------

    def _build_actions(self) -> None:
        file_menu, edit_menu = self.file_menu, self.edit_menu
        self.open_action = self.add_action("Open video...", self.open_video, QKeySequence.Open,
                                           file_menu, tip="Open a video or a project (Ctrl+O)")
        self.open_folder_action = self.add_action(
            "Open frame folder...", self.open_folder, None, file_menu,
            tip="Open a folder of frame images (taken in name order)")
        self.export_action = self.add_action(
            "Export video...", self.export_video, "Ctrl+E", file_menu,
            tip="Write the refined video as mp4, with the original audio (Ctrl+E)")
        self.export_frames_action = self.add_action(
            "Export frames...", self.export_frames, "Ctrl+Shift+E", file_menu,
            tip="Write the refined frames as PNG files into a new folder (Ctrl+Shift+E)")
        self.delete_action = self.add_action(
            "Delete work files", self.delete_work_files, None, file_menu, toolbar=False,
            tip="Delete this video's colorized frames and checkpoints from the cache folder")
        self.add_project_actions()
        # A project names its video; copying gigabytes into it is not offered.
        self.file_menu.removeAction(self.embed_action)
        del self.embed_action  # no embedding offered (projects ask getattr(..., None))
        self.toolbar.addSeparator()
        self.run_action = self.add_action(
            "Colorize and refine", self.run, "Ctrl+R", edit_menu,
            tip="Colorize every frame, then remove the flicker (resumes an interrupted run)")
        self.play_action = self.add_action("Play", self.scrubber.toggle_play, None,
                                           self.view_menu, toolbar=False)
        self.toolbar.addSeparator()
        keyframes_menu = QMenu("&Keyframes", self)
        present(self.menuBar()).insertMenu(self.help_menu.menuAction(), keyframes_menu)
        self.add_keyframe_actions(keyframes_menu, self.toolbar)

        self.addToolBarBreak()
        options = present(self.addToolBar("Options"))
        options.setObjectName("options")
        options.addWidget(QLabel("Model "))
        self.picker = ModelPicker()
        self.picker.file_requested.connect(self.choose_model_file)
        self.picker.choice_changed.connect(self._work_changed)
        options.addWidget(self.picker)
        options.addSeparator()
        options.addWidget(QLabel("  Quality "))
        self.preset_box = QComboBox()
        self.preset_box.addItems(preset_labels())
        self.preset_box.setToolTip("Fast, Balanced, Best: each frame's colour averaged along the "
                                   "motion, at a growing working size; Deep Video Prior: a "
                                   "network trained per shot (slower, less local colour)")
        options.addWidget(self.preset_box)
        options.addWidget(QLabel("  Epochs "))
        self.epochs_box = QSpinBox()
        self.epochs_box.setRange(*EPOCHS_RANGE)
        self.epochs_box.setToolTip("Deep Video Prior: passes over every frame of each shot "
                                   "(the preset's, or your own)")
        options.addWidget(self.epochs_box)
        self.preset_box.currentTextChanged.connect(self._preset_changed)
        self.preset_box.setCurrentText(settings.value("video/preset", DEFAULT_PRESET))
        self._preset_changed(self.preset_box.currentText())
        self.preset_box.currentTextChanged.connect(
            lambda name: settings.set_value("video/preset", name))
        # Other settings, other refined frames (an earlier run's show if there is one).
        self.epochs_box.valueChanged.connect(self._epochs_changed)
        options.addSeparator()
        options.addWidget(QLabel("  Show "))
        self.show_box = QComboBox()
        self.show_box.addItems(list(SHOW_CHOICES))
        self.show_box.setToolTip("After: the refined frames, or the per-frame colorization "
                                 "(which flickers)")
        self.show_box.currentTextChanged.connect(self._show_changed)
        options.addWidget(self.show_box)
        self.addAction(self.play_action)

    # -- the session ----------------------------------------------------------------------

    @property
    def source(self):
        return self.session.source

    @property
    def work(self) -> Path | None:
        return self.session.work

    def refine_settings(self) -> RefineSettings:
        return self.session.refine_settings()

    def per_frame_frames(self) -> FrameFolder | None:
        return self.session.per_frame_frames()

    def refined_frames(self) -> FrameFolder | None:
        return self.session.refined_frames()

    def adopt_session(self, session: VideoSession) -> None:
        """Show ``session`` (a new video, or a restored project) in place of the current one."""
        self.jobs.cancel()
        if session is not self.session:
            self.session.close()
        self.session = session
        frame = session.frame
        self._binding = True
        try:
            self.preset_box.setCurrentText(session.preset)
            self.epochs_box.setValue(session.epochs)
            self.epochs_box.setEnabled(self._is_network(session.preset))
            self.show_box.setCurrentText(session.show)
            self.scrubber.set_frames(len(session.source), session.source.fps)
        finally:
            self._binding = False
        self.set_size_text(session.source.width, session.source.height)
        self.set_report("")  # the previous clip's report is not this one's
        self.scrubber.set_index(frame)
        self.show_frame(self.scrubber.index)
        self.view.view.fit()
        self._update_actions()

    def _update_actions(self) -> None:
        self.update_keyframe_actions()
        busy, session = self.jobs.busy, self.session
        self.run_action.setEnabled(session.source is not None and not busy)
        done = session.finished()
        self.export_action.setEnabled(done and not busy)
        self.export_frames_action.setEnabled(done and not busy)
        self.run_action.setText("Resume" if session.started() and not done
                                else "Colorize and refine")

    def _preset_changed(self, name: str) -> None:
        # Epochs count only for the network preset.
        if self._binding:
            return
        self.session.set_preset(name)
        self._binding = True
        try:
            self.epochs_box.setValue(self.session.epochs)
        finally:
            self._binding = False
        self.epochs_box.setEnabled(self._is_network(name))
        self._settings_changed()

    @staticmethod
    def _is_network(label: str) -> bool:
        return preset_labelled(label).settings.method == "network"

    def _epochs_changed(self, value: int) -> None:
        if self._binding:
            return
        self.session.epochs = value
        self._settings_changed()

    def _show_changed(self, name: str) -> None:
        if not self._binding:
            self.session.show = name
            self.show_frame(self.scrubber.index)

    def _work_changed(self) -> None:
        """A new model: find its work folder (an earlier run's frames show)."""
        self.session.set_model(self.picker.current())
        self._settings_changed()

    def _settings_changed(self) -> None:
        """Other settings, other refined frames (an earlier run's show if there is one)."""
        self.show_frame(self.scrubber.index)
        self._update_actions()
        if self.source is not None:
            self.mark_changed()

    # -- files ----------------------------------------------------------------------------

    def open_dropped(self, paths: list[str], position) -> None:
        self.load(paths[0])

    def open_video(self) -> None:
        path = self.ask_open("Open video or project", "video",
                             f"{VIDEO_FILTER};;{PROJECT_FILTER}")
        if path:
            self.load(path)

    def document_path(self) -> str:
        return self.source.path if self.source is not None else ""

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of frames",
                                                  self.start_folder("video"))
        if folder:
            settings.set_value("folders/video", folder)
            self.load(folder)

    def load(self, path: str) -> bool:
        """Open a video file or a folder of frames (shows frame 1), or a project file."""
        if self.open_path(path):
            return True
        if not self.confirm_discard(f"opening {os.path.basename(os.path.normpath(path))}"):
            return False
        if not self.guarded("Open video", lambda: self.open_source(path)):
            return False
        self.project_path = ""
        self.set_title_detail(os.path.basename(os.path.normpath(path)))
        self.mark_unchanged()
        return True

    def open_source(self, path: str) -> None:
        """Open ``path`` (a video file or a folder of frames) as the source."""
        session = VideoSession()
        session.preset, session.epochs = self.session.preset, self.session.epochs
        session.show = self.session.show
        session.model = self.picker.current()
        session.open(path)
        try:  # from the probe, before any frame is decoded: the words of `colorize video`
            check_video_memory(session.source)
        except ColorizeError:
            session.close()
            raise
        self.adopt_session(session)
        self.mark_changed()  # as a new model would: the video is the window's work now
        source = session.source
        audio = "with audio" if source.has_audio else "no audio"
        notes = "; ".join(source.notes)
        present(self.statusBar()).showMessage(
            f"{len(source)} frames at {source.fps:.3g} fps, {audio}"
            + (f" ({notes})" if notes else ""), 10000)

    def show_frame(self, index: int) -> None:
        """Show frame ``index``: the source, and the chosen result where it exists."""
        if self.source is None:
            return
        self.session.frame = index
        shown = []
        if not self.guarded("Show frame", lambda: shown.append(self.source[index])):
            return
        frames = self.session.shown_frames()
        after = frames[index] if frames is not None and frames.has(index) else None
        self.view.show_result(shown[0], after)

    # -- model ----------------------------------------------------------------------------

    def choose_model_file(self) -> None:
        if ask_model_file(self, self.picker) is not None:
            self._update_actions()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.scrubber.pause()
        super().closeEvent(event)
        self.session.close()
        if self.colorizer is not None:
            self.colorizer.close()
