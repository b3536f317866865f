"""Temporal consistency for colorized videos that keeps each object's colour.

By default each frame's colour is steadied and averaged along the motion (optical flow)
over the frames around it (:mod:`deep_video_prior.temporal`); the Deep Video Prior
network (Lei, Xing, Chen, NeurIPS 2020) is the alternative method "network".

An engine like those in ``algorithms``: pure functions on numpy arrays (no Qt, no file
I/O, no printing), with progress and cancel callbacks for long work.
The public API: :class:`RefineSettings`, :class:`RefineReport`, :func:`detect_shots`
(light) and :func:`refine_video` (imports TensorFlow when first called). Importing it sets
nothing global: TensorFlow's environment is chosen by the entry points
(:mod:`colorize_app.tf_startup`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deep_video_prior.settings import RefineReport, RefineSettings

if TYPE_CHECKING:
    from deep_video_prior.pipeline import refine_video
    from deep_video_prior.shots import detect_shots

__all__ = ["RefineReport", "RefineSettings", "detect_shots", "refine_video"]


def __getattr__(name: str) -> Any:
    # TensorFlow loads only when refinement is used, so the package stays light to import.
    if name == "refine_video":
        from deep_video_prior.pipeline import refine_video

        return refine_video
    if name == "detect_shots":
        from deep_video_prior.shots import detect_shots

        return detect_shots
    raise AttributeError(name)
