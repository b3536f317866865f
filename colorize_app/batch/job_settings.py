"""The settings of a batch job, as every one of its tasks is given them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from colorize_app.io.fingerprints import settings_digest
from deep_video_prior.settings import RefineSettings


@dataclass(frozen=True)
class BatchSettings:
    """What the tasks of ``colorize batch cnn|video`` are given.

    ``model`` is what each worker resolves (an installed name, or an absolute path) and
    ``model_sha256`` the client's file's checksum (a worker with another file refuses the
    job); ``temperature`` None is the model's own decoding; ``input_size`` the side of the
    square the network sees (None: each photo's own size); ``refine`` the video refinement
    (None: not refined); ``format`` the photos' file type; ``out_dir`` the job's output
    folder (the only place tasks make folders; None: a caller of its own); ``threads`` the
    TensorFlow threads of each task (0: all cores).
    """

    kind: str
    model: str
    model_sha256: str
    temperature: float | None = None
    input_size: int | None = 256
    refine: RefineSettings | None = None
    format: str | None = None
    out_dir: str | None = None
    threads: int = 0

    def identity(self) -> dict[str, Any]:
        """The settings that decide an output's pixels (the manifest records them)."""
        fields = dataclasses.asdict(self)
        for where in ("model", "out_dir", "threads"):  # not the pixels: where and how fast
            del fields[where]
        if self.refine is not None:
            fields["refine"] = dataclasses.asdict(dataclasses.replace(self.refine, threads=0))
        return fields

    def key(self) -> str:
        """The manifest's settings key: the :func:`settings_digest` of :meth:`identity`."""
        return settings_digest(self.identity(), 16)
