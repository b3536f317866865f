"""The video engine: colour that holds still over time, and keyframes that carry a colour
through their shots.

- :mod:`deep_video_prior.pipeline`: :func:`~deep_video_prior.pipeline.refine_video`, per-shot
  refinement of per-frame colour: by default each frame's colour is steadied and averaged
  along the motion (optical flow, :mod:`deep_video_prior.temporal`); the Deep Video Prior
  network (Lei, Xing, Chen, NeurIPS 2020; :mod:`deep_video_prior.network`,
  :mod:`deep_video_prior.train`) is the alternative method "network" (imports TensorFlow).
- :mod:`deep_video_prior.shots`: scene cuts (:func:`~deep_video_prior.shots.detect_shots`).
- :mod:`deep_video_prior.keyframes` (with ``keyframes_follow`` and ``keyframes_track``):
  the colour of a few frames given by the user, carried along the motion.
- :mod:`deep_video_prior.settings`: :class:`RefineSettings` and :class:`RefineReport`, here
  at the package's top.

Engines like those in ``algorithms`` (which they build on): pure functions on numpy arrays
(no Qt, no file I/O, no printing), with progress and cancel callbacks for long work.
Importing the package is light and sets nothing global: TensorFlow's environment is chosen
by the entry points (:mod:`colorize_app.runtime.tf_startup`).
"""

from __future__ import annotations

from deep_video_prior.settings import RefineReport, RefineSettings

__all__ = ["RefineReport", "RefineSettings"]
