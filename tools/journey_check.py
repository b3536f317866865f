"""A person's journey on a real X display: paint, save, play; check where things landed.

    python tools/journey_check.py                      # own Xvfb at 1024x700
    python tools/journey_check.py --size 1920x1080 --out build/journey-large

The application runs as its own process (``python -m colorize_app.gui.app FILE``), driven
from outside by xdotool as a hand would drive it: the real pointer moves one screen pixel at
a time, the keys are real key presses. Nothing inside the application is called.

1. Scribble window, a photo of one unusual colour: the photo is found on a screenshot (its
   rectangle gives the zoom and position); a rectangle outline is painted at the fitted
   zoom, then, after Ctrl+1, a zig-zag at 100%; the project is saved with Ctrl+S through
   the file dialog. Every stroke point saved in the project must lie on the shape that was
   meant, in image pixels (within half a pixel plus one screen pixel), and each shape's
   corners must be reached. The view drifting while painting bends the shapes.
2. Video window, a clip whose frames show one unusual colour: Play (Space) runs through
   it; the frame's rectangle on screen must be the same before, during and after.

Needs Xvfb, xdotool and ImageMagick's ``import`` (apt-get install xvfb xdotool imagemagick;
openbox for real title bars) and Qt's xcb libraries. Screenshots go to ``--out``. Exit
status 1 with one line per problem. Settings, autosave and caches go to a temporary home.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gui_smoke import start_display  # noqa: E402

#: The photo and clip colour the screenshots are searched for (nothing else on screen has it).
MARKER_RGB = (37, 201, 143)
PHOTO_SIZE = (240, 180)  # width, height
#: A saved point may be this far from the intended shape: half an image pixel (points are
#: whole pixels) plus one screen pixel of where the photo's edge was read from a screenshot.
SLACK_PIXELS = 0.5


class Display:
    """xdotool and screenshots on one X display."""

    def __init__(self, display: str, out: str) -> None:
        self.env = dict(os.environ, DISPLAY=display)
        self.out = out
        self.shots = 0

    def xdotool(self, *args: object) -> str:
        done = subprocess.run(["xdotool", *map(str, args)], env=self.env, check=True,
                              capture_output=True, text=True, timeout=120)
        return done.stdout

    def wait_window(self, title: str, timeout: float = 60.0) -> str:
        """The X id of the first window whose title contains ``title``."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title],
                                   env=self.env, capture_output=True, text=True)
            if found.stdout.strip():
                return found.stdout.split()[0]
            time.sleep(0.3)
        raise RuntimeError(f"no window titled {title!r} appeared in {timeout:.0f} s")

    def screenshot(self, name: str) -> np.ndarray:
        """The whole screen as RGB uint8 (H, W, 3), also saved as ``<out>/<nn>-<name>.png``."""
        import imageio.v3 as iio

        self.shots += 1
        path = os.path.join(self.out, f"{self.shots:02d}-{name}.png")
        subprocess.run(["import", "-window", "root", path], env=self.env, check=True,
                       timeout=60)
        return np.asarray(iio.imread(path))[..., :3]

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--clearmodifiers", *keys)

    def drag(self, path: list[tuple[int, int]], corners: set[tuple[int, int]]) -> None:
        """Press the left button at path[0], move through every point, release at the end.

        The pointer rests a moment on each corner, as a hand turning does: Qt merges motion
        events that queue up, and a merged corner would be cut short.
        """
        args: list[object] = ["mousemove", *path[0], "sleep", 0.2, "mousedown", 1]
        for x, y in path[1:]:
            args += ["mousemove", x, y, "sleep", 0.1 if (x, y) in corners else 0.004]
        args += ["sleep", 0.2, "mouseup", 1]
        self.xdotool(*args)


def marker_rect(screen: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the left-most region of MARKER_RGB on screen (right and
    bottom exclusive): the photo, or the frame, as drawn."""
    from scipy import ndimage

    near = np.all(np.abs(screen.astype(int) - MARKER_RGB) <= 6, axis=2)
    labels, count = ndimage.label(near)
    if count == 0:
        raise RuntimeError("the photo is not on the screen")
    boxes = ndimage.find_objects(labels)
    sizes = ndimage.sum(near, labels, range(1, count + 1))
    big = [box for box, size in zip(boxes, sizes) if size > 400]
    if not big:
        raise RuntimeError("the photo is not on the screen")
    rows, cols = min(big, key=lambda box: box[1].start)
    return cols.start, rows.start, cols.stop, rows.stop


def screen_path(shape: list[tuple[float, float]], rect: tuple[int, int, int, int],
                size: tuple[int, int]
                ) -> tuple[list[tuple[int, int]], set[tuple[int, int]], float]:
    """Screen pixels along ``shape`` (image coordinates), one pixel apart; the corners'
    pixels; the zoom."""
    left, top, right, _ = rect
    zoom = (right - left) / size[0]
    corners = [(left + x * zoom, top + y * zoom) for x, y in shape]
    path: list[tuple[int, int]] = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        steps = max(int(max(abs(x1 - x0), abs(y1 - y0))), 1)
        for step in range(steps):
            point = (int(np.floor(x0 + (x1 - x0) * step / steps)),
                     int(np.floor(y0 + (y1 - y0) * step / steps)))
            if not path or path[-1] != point:
                path.append(point)
    path.append((int(np.floor(corners[-1][0])), int(np.floor(corners[-1][1]))))
    corner_pixels = {(int(np.floor(x)), int(np.floor(y))) for x, y in corners}
    return path, corner_pixels, zoom


def distance_to_polyline(point: np.ndarray, shape: list[tuple[float, float]]) -> float:
    best = np.inf
    for first, second in zip(shape, shape[1:]):
        a, b = np.asarray(first, float), np.asarray(second, float)
        t = np.clip(np.dot(point - a, b - a) / max(np.dot(b - a, b - a), 1e-12), 0, 1)
        best = min(best, float(np.linalg.norm(point - (a + t * (b - a)))))
    return best


def check_stroke(name: str, points: list, shape: list[tuple[float, float]], zoom: float
                 ) -> tuple[list[str], float]:
    """Problems of one saved stroke against the intended shape; and its largest error."""
    tolerance = SLACK_PIXELS + 1.0 / zoom
    centres = np.asarray(points, float) + 0.5  # a point is a pixel index; its centre
    errors = [distance_to_polyline(centre, shape) for centre in centres]
    problems = []
    worst = int(np.argmax(errors))
    if errors[worst] > tolerance:
        problems.append(f"{name}: stroke point {points[worst]} lies {errors[worst]:.2f} px "
                        f"off the intended shape (allowed {tolerance:.2f}; {len(points)} "
                        "points)")
    for corner in shape:
        reach = min(np.linalg.norm(centres - np.asarray(corner), axis=1))
        if reach > tolerance + 1.0:
            problems.append(f"{name}: the stroke never reached {corner} (closest "
                            f"{reach:.2f} px)")
    return problems, float(errors[worst])


def make_inputs(folder: str) -> tuple[str, str]:
    """The photo (one colour, PHOTO_SIZE) and a 48-frame clip of the same colour with a
    moving box, 320x240."""
    import imageio_ffmpeg

    from colorize_app.io import media

    photo = os.path.join(folder, "journey_photo.png")
    pixels = np.empty((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), np.float32)
    pixels[:] = np.asarray(MARKER_RGB, np.float32) / 255.0
    media.write_image(photo, pixels)
    clip = os.path.join(folder, "journey_clip.mp4")
    writer = imageio_ffmpeg.write_frames(clip, (320, 240), fps=24, codec="libx264",
                                         pix_fmt_out="yuv444p", output_params=["-qp", "0"])
    writer.send(None)
    for index in range(48):
        frame = np.empty((240, 320, 3), np.uint8)
        frame[:] = MARKER_RGB
        frame[90:130, 40 + 4 * index:80 + 4 * index] = 0  # a box moving right
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return photo, clip


def launch(display: Display, home: str, path: str, log: str) -> subprocess.Popen:
    env = dict(display.env, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_STATE_HOME=os.path.join(home, "state"),
               XDG_CACHE_HOME=os.path.join(home, "cache"), COLORIZE_NO_PRELOAD="1",
               COLORIZE_CACHE_DIR=os.path.join(home, "cache", "colorize"))
    env.pop("QT_QPA_PLATFORM", None)
    with open(log, "ab") as handle:
        return subprocess.Popen([sys.executable, "-m", "colorize_app.gui.app", path],
                                cwd=ROOT, env=env, stdout=handle, stderr=handle)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def open_in_app(display: Display, home: str, path: str, title: str, out: str,
                settle: float) -> subprocess.Popen:
    """Start the application on ``path`` and bring its window titled ``title`` forward."""
    app = launch(display, home, path, os.path.join(out, "app.log"))
    try:
        display.xdotool("windowactivate", "--sync", display.wait_window(title))
    except (RuntimeError, subprocess.SubprocessError):
        stop(app)
        raise
    time.sleep(settle)
    return app


def paint_journey(display: Display, home: str, photo: str, out: str) -> list[str]:
    """Paint two shapes at two zooms, save the project, compare its strokes."""
    from colorize_app.io.project import load_project

    problems: list[str] = []
    app = open_in_app(display, home, photo, "Scribble colorization", out, settle=1.5)
    try:
        # Shape 1 at the fitted zoom: a rectangle outline. Shape 2 at 100%: a zig-zag.
        shapes = {
            "fit": [(30.5, 30.5), (200.5, 30.5), (200.5, 140.5), (30.5, 140.5),
                    (30.5, 36.5)],
            "100%": [(50.5, 60.5), (90.5, 110.5), (130.5, 60.5), (170.5, 110.5),
                     (210.5, 60.5)],
        }
        zooms = {}
        for name, shape in shapes.items():
            if name == "100%":
                display.key("ctrl+1")
                time.sleep(1.0)
            rect = marker_rect(display.screenshot(f"before-{name}"))
            path, corners, zooms[name] = screen_path(shape, rect, PHOTO_SIZE)
            display.drag(path, corners)
            time.sleep(1.0)
            after = marker_rect(display.screenshot(f"after-{name}"))
            if after != rect:
                problems.append(f"painting at {name} moved the photo on screen: {rect} -> "
                                f"{after}")
            print(f"journey: painted the {name} shape with {len(path)} pointer moves at "
                  f"zoom {zooms[name]:.3f}")
        problems += colorize_check(display)
        saved = os.path.join(home, "journey.colorize")
        display.key("ctrl+s")
        time.sleep(2.0)
        display.screenshot("save-dialog")
        display.xdotool("type", "--delay", "20", saved)
        display.key("Return")
        end = time.monotonic() + 30
        while not os.path.exists(saved) and time.monotonic() < end:
            time.sleep(0.3)
        if not os.path.exists(saved):
            display.screenshot("not-saved")
            return problems + ["the project was not saved through Ctrl+S and the dialog"]
        strokes = load_project(saved).strokes
        if len(strokes) != len(shapes):
            problems.append(f"the project holds {len(strokes)} strokes, "
                            f"{len(shapes)} were painted")
        for stroke, (name, shape) in zip(strokes, shapes.items()):
            found, worst = check_stroke(name, list(stroke.points), shape, zooms[name])
            problems += found
            print(f"journey: {name} stroke: {len(stroke.points)} points saved, farthest "
                  f"{worst:.2f} image px from the intended shape")
        display.key("ctrl+q")
        app.wait(timeout=20)
    finally:
        stop(app)
    return problems


def colorize_check(display: Display) -> list[str]:
    """Colorize (Ctrl+R): the result pane, which showed the flat photo, takes the strokes'
    red at the photo's brightness."""
    def panes(screen: np.ndarray) -> tuple[int, int]:
        # Right of the photo as drawn: (pixels of the photo's colour, reddish pixels).
        right = screen[:, marker_rect(screen)[2]:].astype(int)
        photo = np.all(np.abs(right - MARKER_RGB) <= 6, axis=2).sum()
        red = ((right[..., 0] > right[..., 1] + 40) & (right[..., 0] > right[..., 2] + 40)).sum()
        return int(photo), int(red)

    shown, red_before = panes(display.screenshot("before-colorize"))
    display.key("ctrl+r")
    started = time.monotonic()
    while time.monotonic() - started < 60:
        time.sleep(1.0)
        screen = display.screenshot("colorized")
        left, red = panes(screen)
        if red - red_before > shown // 2 and left < shown // 10:
            print(f"journey: colorized in {time.monotonic() - started:.0f} s: the result pane "
                  f"turned {red - red_before} pixels red")
            return []
    return [f"Ctrl+R did not colour the result pane within 60 s: {left} of {shown} pixels "
            f"still show the photo, {red - red_before} turned red"]


def play_journey(display: Display, home: str, clip: str, out: str) -> list[str]:
    """Play the clip; the frame's rectangle must not move."""
    problems: list[str] = []
    app = open_in_app(display, home, clip, "Video colorization", out, settle=2.0)
    try:
        start = marker_rect(display.screenshot("video-before"))
        display.key("space")
        time.sleep(0.8)
        during = marker_rect(display.screenshot("video-playing"))
        time.sleep(2.5)  # 48 frames at 24 fps
        after = marker_rect(display.screenshot("video-after"))
        for when, rect in (("while playing", during), ("after playing", after)):
            if rect != start:
                problems.append(f"the video frame moved {when}: {start} -> {rect}")
        print(f"journey: played 48 frames; the frame stayed at {start}")
        display.key("ctrl+q")
        time.sleep(1.0)
    finally:
        stop(app)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1024x700", help="screen size (default 1024x700)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "journey"),
                        help="folder for the screenshots and the application's log")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"journey: {tool} is not installed (apt-get install xvfb xdotool "
                  "imagemagick)", file=sys.stderr)
            return 1
    os.makedirs(args.out, exist_ok=True)
    home = tempfile.mkdtemp(prefix="journey-")
    display_name, processes = start_display(args.size)
    try:
        display = Display(display_name, args.out)
        photo, clip = make_inputs(home)
        problems = paint_journey(display, home, photo, args.out)
        problems += play_journey(display, home, clip, args.out)
    except (RuntimeError, subprocess.SubprocessError) as error:
        problems = [str(error)]
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    for line in problems:
        print(f"journey: {line}", file=sys.stderr)
    print(f"journey: {'FAILED' if problems else 'ok'} at {args.size}; screenshots in "
          f"{args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
