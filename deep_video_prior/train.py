"""Training one Deep Video Prior network on one shot.

The schedule: with IRT, ``warmup_epochs`` epochs on frame 0 only at the working
resolution (the authors' IRT initialisation, loss mean|main - P| + 0.9 mean|minor - P|,
as many steps as the shot has frames); then ``epochs`` epochs over
every frame in order, batch 1, the first ``coarse_fraction`` of them at half the working
resolution (coarse to fine: the cheap low-resolution epochs learn the broad colours).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from deep_video_prior.network import DvpNetwork
from deep_video_prior.settings import RefineSettings


@dataclass(frozen=True)
class Epoch:
    """One pass of the schedule: its loss, whether at half resolution, the frames in order."""

    kind: str
    coarse: bool
    frames: tuple[int, ...]
    label: str


def schedule(settings: RefineSettings, frame_count: int) -> list[Epoch]:
    """The epochs trained for a shot of ``frame_count`` frames, in order."""
    epochs: list[Epoch] = []
    everyone = tuple(range(frame_count))
    coarse_epochs = round(settings.epochs * settings.coarse_fraction)
    if settings.irt:
        for index in range(settings.warmup_epochs):
            # At the working resolution: the main output must fit frame 0 in detail
            # before IRT lets it ignore the pixels where the minor output wins.
            epochs.append(Epoch("warmup", False, (0,) * frame_count,
                                f"warm-up {index + 1}/{settings.warmup_epochs}"))
    kind = "irt" if settings.irt else "l1"
    for index in range(settings.epochs):
        epochs.append(Epoch(kind, index < coarse_epochs, everyone,
                            f"epoch {index + 1}/{settings.epochs}"))
    return epochs


def step_cost(epoch: Epoch, working_pixels: int) -> float:
    """Relative cost of one step of ``epoch`` (pixels trained on), for progress and ETA."""
    return working_pixels / 4.0 if epoch.coarse else float(working_pixels)


def shot_cost(settings: RefineSettings, frame_count: int, working_pixels: int) -> float:
    """Relative cost of training a whole shot."""
    return sum(len(epoch.frames) * step_cost(epoch, working_pixels)
               for epoch in schedule(settings, frame_count))


def half_size(image: np.ndarray) -> np.ndarray:
    """``image`` (H, W[, C]) at half size (H, W even), by area averaging."""
    return cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2),
                      interpolation=cv2.INTER_AREA)


def train_shot(network: DvpNetwork, grays: Sequence[np.ndarray],
               targets: Sequence[np.ndarray], settings: RefineSettings,
               on_step: Callable[[Epoch, float], None]) -> int:
    """Train ``network`` on one shot; returns the number of epochs run.

    Parameters
    ----------
    network : DvpNetwork
        A fresh network (its ``irt`` matches ``settings.irt``).
    grays : sequence of ndarray
        Gray frames (h, w) float in [0, 1] at the working size (sides multiples of 32).
    targets : sequence of ndarray
        The per-frame results (h, w, channels) to fit, in the network's output space.
    on_step : callable
        Called after every step with the epoch and the step's cost; it may raise
        CancelledError to stop training between two steps.
    """
    working_pixels = int(grays[0].size)
    plan = schedule(settings, len(grays))
    coarse: tuple[list[np.ndarray], list[np.ndarray]] | None = None
    if any(epoch.coarse for epoch in plan):
        coarse = ([half_size(np.asarray(g, np.float32)).astype(np.float16) for g in grays],
                  [half_size(np.asarray(t, np.float32)).astype(np.float16) for t in targets])
    for epoch in plan:
        frame_grays, frame_targets = coarse if epoch.coarse and coarse is not None \
            else (grays, targets)
        cost = step_cost(epoch, working_pixels)
        for index in epoch.frames:
            network.train_step(epoch.kind, frame_grays[index], frame_targets[index])
            on_step(epoch, cost)
    return len(plan)
