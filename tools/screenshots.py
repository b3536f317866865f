"""Render a screenshot of every desktop window with synthetic content, for the README.

Run under a virtual display (``xvfb-run -a python tools/screenshots.py``) or with
``QT_QPA_PLATFORM=offscreen``; PNG files go to ``docs/screenshots/`` (or the folder given).
The content is made here (gradients and shapes), so no data set is needed; the CNN and
video windows colorize gray copies of ``resources/samples`` and a synthetic panning clip
with the default model (``--model FILE`` picks another; without any model those two
windows are shown uncoloured).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# No OpenGL: the GL driver (Mesa links its own LLVM) and TensorFlow crash in one process.
os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
sys.path.insert(0, ROOT)

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

from PyQt5.QtGui import QColor  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

from algorithms.colorspace import luminance  # noqa: E402
from algorithms.regions import Rect, SwatchPair  # noqa: E402
from algorithms.scribble import colorize_scribbles  # noqa: E402
from algorithms.transfer import transfer_colour  # noqa: E402
from colorize_app.documents.strokes import Stroke  # noqa: E402
from colorize_app.gui import settings  # noqa: E402


def scene(height: int = 240, width: int = 320) -> np.ndarray:
    """A synthetic colour 'photo': sky, sun, hills, a house."""
    rows, columns = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    image = np.empty((height, width, 3), np.float32)
    image[:] = np.stack([0.45 + 0.3 * rows, 0.65 + 0.2 * rows, 0.95 - 0.1 * rows], axis=-1)
    sun = (columns - 0.78) ** 2 + ((rows - 0.2) * height / width) ** 2 < 0.006
    image[sun] = (1.0, 0.85, 0.3)
    hills = rows > 0.62 + 0.08 * np.sin(columns * 9)
    image[hills] = np.stack([0.25 + 0.2 * rows, 0.55 - 0.2 * rows, 0.2 + 0 * rows],
                            axis=-1)[hills]
    house = (columns > 0.2) & (columns < 0.38) & (rows > 0.48) & (rows < 0.75)
    image[house] = (0.8, 0.3, 0.2)
    return image


def save(widget, folder: str, name: str) -> None:
    widget.grab().save(os.path.join(folder, name), "PNG")
    print(os.path.join(folder, name))


def wait_for_jobs(app, window) -> None:
    """Let the window's background job finish, delivering its signals."""
    while window.jobs.busy:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def default_model() -> str:
    from colorize_app.io.model_registry import ModelNotFoundError, resolve_model

    try:
        return str(resolve_model(None))
    except ModelNotFoundError:
        return ""


def cnn_and_video(app, folder: str, model: str) -> None:
    """Screenshots of the CNN window (sample photos in gray) and the video window."""
    from colorize_app.gui.cnn_window import CnnWindow
    from colorize_app.gui.video_window import VideoWindow
    from colorize_app.io import media

    work = tempfile.mkdtemp(prefix="colorize-screenshots-")
    os.environ["COLORIZE_CACHE_DIR"] = os.path.join(work, "cache")
    samples = os.path.join(ROOT, "resources", "samples")
    photos = []
    for path in media.list_images(samples):
        gray_path = os.path.join(work, os.path.basename(path).replace(".jpg", ".png"))
        media.write_image(gray_path, luminance(media.read_image(path).pixels))
        photos.append(gray_path)

    cnn = CnnWindow()
    cnn.resize(1100, 640)
    cnn.show()
    cnn.add_photos(photos)
    wait_for_jobs(app, cnn)
    if model:
        cnn.picker.add_file(model)
        cnn.colorize_all()
        wait_for_jobs(app, cnn)
    cnn.photo_list.setCurrentRow(min(2, len(photos) - 1))
    cnn.result_view.slider.setValue(50)
    app.processEvents()
    cnn.result_view.view.fit()
    app.processEvents()
    save(cnn, folder, "cnn_window.png")

    frames = os.path.join(work, "clip")
    os.makedirs(frames)
    panorama = media.read_image(os.path.join(work, "sky_foliage_palace.png")).pixels
    for index in range(16):  # a slow pan over the gray photo
        media.write_image(os.path.join(frames, f"{index:03d}.png"),
                          panorama[40:296, 10 * index: 10 * index + 340])
    video = VideoWindow()
    video.resize(1000, 640)
    video.show()
    if model:
        video.picker.add_file(model)
    video.preset_box.setCurrentText("Balanced")
    video.load(frames)
    if model:
        video.run()
        wait_for_jobs(app, video)
    video.scrubber.set_index(9)
    video.view.slider.setValue(50)
    app.processEvents()
    video.view.view.fit()
    app.processEvents()
    save(video, folder, "video_window.png")


def main(folder: str = os.path.join(ROOT, "docs", "screenshots"), model: str = "",
         with_cnn_and_video: bool = True) -> None:
    settings.SETTINGS_FILE = os.path.join(folder, ".screenshots-settings.ini")
    app = QApplication.instance() or QApplication(sys.argv)
    QApplication.setStyle("Fusion")  # a static setter: the style of every window
    from colorize_app.gui.main_menu import MainMenu
    from colorize_app.gui.scribble_window import ScribbleWindow
    from colorize_app.gui.swatch_window import SwatchWindow

    os.makedirs(folder, exist_ok=True)
    menu = MainMenu()
    menu.show()
    app.processEvents()
    save(menu, folder, "main_menu.png")

    colour = scene()
    gray = luminance(colour)
    scribble = ScribbleWindow()
    scribble.resize(1000, 560)
    scribble.show()
    scribble.set_photo(gray, "landscape.png")
    for points, rgb in (
        ([(40, 40), (200, 30), (290, 60)], (0.45, 0.65, 0.95)),
        ([(30, 200), (150, 215), (300, 190)], (0.3, 0.55, 0.2)),
        ([(85, 140), (105, 160)], (0.8, 0.3, 0.2)),
        ([(248, 48)], (1.0, 0.85, 0.3)),
    ):
        scribble.brush.set_colour(QColor.fromRgbF(*rgb))
        scribble.strokes.add(Stroke([(float(x), float(y)) for x, y in points], rgb, 7.0))
    scribble.strokes_changed()
    hints = scribble.hints()
    scribble._show_result(colorize_scribbles(gray, *hints))
    scribble.result_view.slider.setValue(55)
    app.processEvents()
    scribble.view.fit()
    scribble.result_view.view.fit()
    app.processEvents()
    save(scribble, folder, "scribble_window.png")

    swatch = SwatchWindow()
    swatch.resize(1000, 760)
    swatch.show()
    reference = scene(200, 260)[:, ::-1]
    swatch.set_image("target", gray)
    swatch.set_image("reference", reference)
    swatch.board.load([
        SwatchPair(Rect(120, 5, 130, 50), Rect(20, 20, 150, 70)),
        SwatchPair(Rect(40, 170, 180, 25), Rect(150, 190, 150, 40)),
    ])
    swatch.board.add("target", Rect(70, 125, 40, 50))
    swatch.select(0)
    outcome = transfer_colour(gray, reference, pairs=swatch.board.pairs())
    swatch._show_result(outcome)
    swatch.result_view.slider.setValue(50)
    app.processEvents()
    for view in (*swatch.views.values(), swatch.result_view.view):
        view.fit()
    app.processEvents()
    save(swatch, folder, "swatch_window.png")
    if with_cnn_and_video:
        cnn_and_video(app, folder, model or default_model())
    os.remove(settings.SETTINGS_FILE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=os.path.join(ROOT, "docs", "screenshots"))
    parser.add_argument("--model", default="", help="CNN model file for the CNN and video "
                                                    "windows (default: the installed default)")
    parser.add_argument("--no-cnn-video", action="store_true",
                        help="only the menu, scribble and transfer windows (no model needed)")
    arguments = parser.parse_args()
    main(arguments.folder, arguments.model, not arguments.no_cnn_video)
