"""Settings and report of a Deep Video Prior refinement (SPEC section 4)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RefineSettings:
    """How one video is refined; the defaults were measured on 2 CPU cores (see README).

    Attributes
    ----------
    epochs : int
        Passes over every frame of a shot (after the warm-up).
    width : int
        Base width of the U-Net (channels of its first level; the authors use 32).
    working_pixels : int
        Frames are downscaled to about this many pixels for training (sides multiples of 16).
    irt : bool
        Iteratively Reweighted Training (main + minor output, L1); without it plain L1.
    warmup_epochs : int
        IRT warm-up: epochs (each as many steps as the shot has frames) on frame 0 only.
    learning_rate : float
        Adam learning rate.
    output : str
        ``"chroma"``: the network predicts the two YIQ chroma channels from luminance;
        ``"rgb"``: it predicts RGB (the paper) and its chroma is kept.
    coarse_fraction : float
        Share of the epochs run at half the working resolution first (coarse to fine).
    match_chroma : bool
        Scale each shot's chroma so its mean magnitude equals the per-frame video's.
    seed : int
        Seed of the weight initialisation.
    threads : int
        Threads per TensorFlow op (0: all cores).
    """

    epochs: int = 12
    width: int = 16
    working_pixels: int = 160 * 96
    irt: bool = True
    warmup_epochs: int = 2
    learning_rate: float = 3e-4
    output: str = "chroma"
    coarse_fraction: float = 0.5
    match_chroma: bool = True
    seed: int = 0
    threads: int = 0


@dataclass
class RefineReport:
    """What :func:`deep_video_prior.pipeline.refine_video` did.

    ``shots`` are the frame ranges trained separately; ``epochs_run`` counts the
    epochs trained in this call (resumed shots add none); ``resumed_shots`` are the
    indices of shots read back from checkpoints; ``chroma_gains`` the gain applied per shot.
    """

    shots: list[range] = field(default_factory=list)
    epochs_run: int = 0
    seconds: float = 0.0
    resumed_shots: list[int] = field(default_factory=list)
    chroma_gains: list[float] = field(default_factory=list)
    frames: int = 0
