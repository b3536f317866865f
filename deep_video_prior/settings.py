"""Settings and report of a refinement: flicker removed, each object's colour kept."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RefineSettings:
    """How one video is refined; the defaults were measured on 2 CPU cores (see README).

    Attributes
    ----------
    method : str
        ``"filter"`` (the default): each frame's colour is averaged along the motion over
        the frames around it (:mod:`deep_video_prior.temporal`); ``"network"``: Deep Video
        Prior, a U-Net trained per shot (the fields from ``epochs`` to ``coarse_fraction``
        apply to it only; :data:`NETWORK` is its measured setting).
    stabilise_window : int
        Filter: each frame's global colour (mean and spread of a/b) is first matched to
        its running median over this many frames either side (0: off).
    strength : float
        Filter: weight in [0, 1) of the colour carried along the motion.
    flow_preset : str
        Filter: OpenCV DIS optical flow preset ("ultrafast", "fast", "medium").
    epochs : int
        Passes over every frame of a shot (after the warm-up).
    width : int
        Base width of the U-Net (channels of its first level; the authors use 32).
    working_pixels : int
        Colour is worked out on frames downscaled to about this many pixels (sides multiples
        of 32; for the network the training size), then brought to full size by guided
        upsampling that follows the full-resolution lightness.
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
        Scale each shot's chroma so its mean colourfulness equals the per-frame video's
        (needed by the network, which loses colour; the filter keeps it).
    seed : int
        Seed of the weight initialisation.
    threads : int
        Threads per TensorFlow op (0: all cores).
    """

    method: str = "filter"
    stabilise_window: int = 15
    strength: float = 0.95
    flow_preset: str = "fast"
    epochs: int = 12
    width: int = 16
    working_pixels: int = 320 * 192
    irt: bool = True
    warmup_epochs: int = 2
    learning_rate: float = 3e-4
    output: str = "chroma"
    coarse_fraction: float = 0.5
    match_chroma: bool = False
    seed: int = 0
    threads: int = 0


#: The motion filter at 160 x 96 with the fastest flow (measured in the README).
FAST = RefineSettings(working_pixels=160 * 96, flow_preset="ultrafast")
#: The default: the motion filter at 320 x 192.
BALANCED = RefineSettings()
#: The motion filter at 480 x 288 with the most careful flow.
BEST = RefineSettings(working_pixels=480 * 288, flow_preset="medium")
#: Deep Video Prior's measured setting (the default before the filter): 160 x 96, the gain on.
NETWORK = RefineSettings(method="network", working_pixels=160 * 96, match_chroma=True)


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
