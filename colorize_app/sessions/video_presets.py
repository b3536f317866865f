"""The refinement presets, once: each with its ``--preset`` name, the label the video window
shows (and its projects keep) and the engine's settings (:mod:`deep_video_prior.settings`).

Light on purpose: the command line's parser lists the names without loading numpy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from algorithms.errors import BadInputError, SettingError
from deep_video_prior.settings import BALANCED, BEST, FAST, NETWORK, RefineSettings


@dataclass(frozen=True)
class Preset:
    """A refinement preset: its ``--preset`` name, its window label, the engine's settings."""

    name: str
    label: str
    settings: RefineSettings


#: The refinement presets by command-line name (measured in the README): fast, balanced and
#: best average colour along the motion at a growing working size; network trains Deep
#: Video Prior's network per shot.
PRESETS: dict[str, Preset] = {preset.name: preset for preset in (
    Preset("fast", "Fast", FAST),
    Preset("balanced", "Balanced", BALANCED),
    Preset("best", "Best", BEST),
    Preset("network", "Deep Video Prior", NETWORK),
)}
DEFAULT_PRESET = "balanced"


def preset_labels() -> list[str]:
    """The window's labels, in the table's order."""
    return [preset.label for preset in PRESETS.values()]


def preset_labelled(label: str) -> Preset:
    """The preset the window (or a project) calls ``label``; BadInputError if none."""
    for preset in PRESETS.values():
        if preset.label == label:
            return preset
    raise BadInputError(f"unknown quality preset {str(label)[:20]!r}")


def command_settings(preset: str | None = None, epochs: int | None = None,
                     irt: bool = True) -> RefineSettings:
    """The settings a preset's command-line name (None: :data:`DEFAULT_PRESET`), a number of
    ``epochs`` and ``irt`` give. A number of epochs or ``irt=False`` train the network: they
    imply ``network`` and do not go with the filter's other presets (SettingError, naming
    the settings ``preset``, ``epochs`` and ``no_irt``; the command line words them as its
    options)."""
    name = DEFAULT_PRESET if preset is None else preset
    if name not in PRESETS:
        raise SettingError("preset", words=lambda option: (
            f"unknown {option('preset')} {name[:20]!r}: choose from {', '.join(PRESETS)}"))
    network = epochs is not None or not irt
    if network and name not in (DEFAULT_PRESET, "network"):
        raise SettingError("epochs", words=lambda option: (
            f"{option('epochs')} and {option('no_irt')} train the network: they do not go "
            f"with {option('preset')} {name}"))
    settings = PRESETS["network" if network else name].settings
    if epochs is not None:
        if epochs < 1:
            raise SettingError("epochs", f"must be at least 1, got {epochs}")
        settings = dataclasses.replace(settings, epochs=epochs)
    if not irt:
        settings = dataclasses.replace(settings, irt=False)
    return settings
