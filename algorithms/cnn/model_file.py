"""Model sources for the Zhang network: one loader, the format detected from the file.

1. The project's own ``.npz``: every variable by name (``weights/conv1/weights`` ...),
   ``bins`` (Q, 2) and ``metadata`` (a JSON string: widths, input normalisation,
   padding convention, batch-norm epsilon, training notes).
2. A TF1 checkpoint in the colorization-tf layout (prefix, ``.index`` or folder), plus
   the ab bins from a ``.npy`` (``pts_in_hull.npy`` beside it unless given).
3. The authors' PyTorch release (``colorization_release_v2-9b330a0b.pth``), read by
   :mod:`algorithms.cnn.torch_pickle` without torch and converted to TF layouts.

A project ``.npz`` whose metadata says ``"architecture": "efficientnet-lite0"`` holds the
EfficientNet-Lite0 encoder + top-down head (:mod:`algorithms.cnn.fpn_head`) instead, with
the encoder's blocks in ``metadata["encoder"]``; everything else is shared.

Whatever the source, :func:`load_model` returns :class:`ModelWeights` with TensorFlow
names and layouts, validated against the architecture read off the shapes.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

import numpy as np

from algorithms.cnn.architecture import (
    CONVS_PER_BLOCK,
    FULL_WIDTHS,
    Architecture,
    infer_widths,
    variable_shapes,
)
from algorithms.cnn.decode import check_bins
from algorithms.cnn.efficientnet import ENCODER_NAME
from algorithms.cnn.model_checks import (
    MAX_NPZ_BYTES,
    MAX_NPZ_MEMBERS,
    check_npz_sizes,
    check_regular,
    validate_metadata,
)
from algorithms.errors import BadInputError, SettingError, first_line

if TYPE_CHECKING:
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture

PathLike = Union[str, "os.PathLike[str]"]

#: Version of the project's .npz layout.
FORMAT_VERSION = 1
#: Normalisation and conventions of each source (input fed as (L - offset) / scale).
TF_CHECKPOINT_METADATA = {
    "input_offset": 50.0, "input_scale": 1.0, "padding": "tf_same", "bn_epsilon": 1e-3,
}
TORCH_RELEASE_METADATA = {
    "input_offset": 50.0, "input_scale": 100.0, "padding": "torch_symmetric", "bn_epsilon": 1e-5,
}
#: The PyTorch release predicts ab / 110 (its ``unnormalize_ab``).
TORCH_AB_SCALE = 110.0


@dataclass
class ModelWeights:
    """A loaded model: variables (TensorFlow names and layouts), ab bins and metadata."""

    weights: dict[str, np.ndarray]
    bins: np.ndarray
    metadata: dict = field(default_factory=dict)
    path: str | None = None

    @property
    def is_encoder_head(self) -> bool:
        """True for the EfficientNet-Lite0 encoder + head network."""
        return self.metadata.get("architecture") == ENCODER_NAME

    @property
    def architecture(self) -> Architecture | EncoderHeadArchitecture:
        if self.is_encoder_head:
            from algorithms.cnn.fpn_head import architecture_from_metadata

            return architecture_from_metadata(
                self.metadata, {k: np.shape(v) for k, v in self.weights.items()})
        widths, count = infer_widths({k: v.shape for k, v in self.weights.items()})
        return Architecture(
            widths=widths,
            bins=count,
            padding=self.metadata.get("padding", "tf_same"),
            bn_epsilon=float(self.metadata.get("bn_epsilon", 1e-3)),
        )

    @property
    def width_multiplier(self) -> float:
        return cast(Architecture, self.architecture).widths[3] / FULL_WIDTHS[3]

    def normalise_lightness(self, lightness: np.ndarray) -> np.ndarray:
        """CIELAB L in [0, 100] -> the network's input, float32."""
        if self.is_encoder_head:
            from algorithms.cnn.efficientnet import encoder_input

            return encoder_input(lightness)
        offset = float(self.metadata.get("input_offset", 50.0))
        scale = float(self.metadata.get("input_scale", 1.0))
        return ((np.asarray(lightness, dtype=np.float32) - offset) / scale).astype(np.float32)

    def describe(self) -> str:
        arch: Any = self.architecture  # either kind, told apart by is_encoder_head
        if self.is_encoder_head:
            return (f"{self.metadata.get('name', Path(self.path or 'model').name)}: "
                    f"{ENCODER_NAME} encoder + top-down head (width {arch.width}), "
                    f"{arch.bins} bins, {sum(v.size for v in self.weights.values()):,} parameters")
        return (f"{self.metadata.get('name', Path(self.path or 'model').name)}: width x"
                f"{self.width_multiplier:g}, {arch.bins} bins, {arch.padding} padding, "
                f"{sum(v.size for v in self.weights.values()):,} parameters")


def network_variable_shapes(arch: Architecture | EncoderHeadArchitecture
                            ) -> dict[str, tuple[int, ...]]:
    """``{variable name: shape}`` of either network (TensorFlow layouts)."""
    from algorithms.cnn.fpn_head import EncoderHeadArchitecture
    from algorithms.cnn.fpn_head import variable_shapes as head_shapes

    if isinstance(arch, EncoderHeadArchitecture):
        return head_shapes(arch)
    return variable_shapes(arch)


def validate(model: ModelWeights, source: str) -> ModelWeights:
    """Check every variable's presence, shape and values, and the bins; name any culprit."""
    validate_metadata(model.metadata, source)
    try:
        arch = model.architecture
    except BadInputError as error:
        raise BadInputError(f"{source}: {error}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError,
            OverflowError) as error:  # metadata of the wrong shape (e.g. the encoder's)
        raise BadInputError(f"{source}: malformed metadata ({type(error).__name__}: "
                            f"{str(error)[:80]})") from None
    shapes = network_variable_shapes(arch)
    names = model.metadata.get("source_names", {})
    weights = {}
    for name, shape in shapes.items():
        label = f"{names[name]} ({name})" if name in names else name
        if name not in model.weights:
            raise BadInputError(f"{source}: missing variable {label}")
        value = np.asarray(model.weights[name])
        if value.shape != shape:
            raise BadInputError(
                f"{source}: variable {label} has shape {value.shape}, expected {shape}"
            )
        if value.dtype.kind not in "fiu":  # complex, object, text, bool: not weights
            raise BadInputError(f"{source}: variable {label} holds {value.dtype} values, "
                                "not real numbers")
        if not np.all(np.isfinite(value)):
            raise BadInputError(f"{source}: variable {label} holds non-finite values")
        if name.endswith("/moving_variance") and value.min() < 0:
            raise BadInputError(f"{source}: variable {label} is negative (a variance)")
        weights[name] = value.astype(np.float32)
    try:
        bins = check_bins(model.bins, arch.bins, name="the ab bins")
    except BadInputError as error:
        raise BadInputError(f"{source}: {error}") from None
    return ModelWeights(weights, bins, dict(model.metadata), model.path)


# ---------------------------------------------------------------------------------------------
# Detection and loading


def detect_format(path: PathLike) -> str:
    """'npz', 'torch' or 'tf_checkpoint' for a file or checkpoint prefix/folder."""
    path = Path(path)
    if path.is_dir() or _checkpoint_prefix(path) is not None:
        return "tf_checkpoint"
    check_regular(path, "a model file")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        # A damaged directory can also surface as a bad file name (UnicodeDecodeError).
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            raise BadInputError(f"{path.name}: corrupt or truncated zip file") from None
        if any(name.endswith("data.pkl") for name in members):
            return "torch"
        if any(name.endswith(".npy") for name in members):
            return "npz"
    with open(path, "rb") as handle:
        start = handle.read(2)
    if start[:1] == b"\x80":  # a pickle protocol opcode: the legacy torch layout
        return "torch"
    if start == b"PK":  # a zip whose directory is unreadable: cut short
        raise BadInputError(f"{path.name}: truncated or corrupt model file")
    raise BadInputError(
        f"{path.name}: not a model file (expected the project's .npz, a TF checkpoint "
        "or a PyTorch .pth)"
    )


def model_files(source: PathLike, bins_path: PathLike | None = None) -> list[str]:
    """Every file a model source is read from (for "never overwrite an input" checks).

    A TF checkpoint's prefix gives its ``.index`` and ``.data-*`` files and the bins; a
    folder gives the files in it.
    """
    path = Path(source)
    files = [path]
    if path.is_dir():
        files = [child for child in path.iterdir() if child.is_file()]
    else:
        prefix = _checkpoint_prefix(path)
        if prefix is not None:
            files += [Path(str(prefix) + ".index"), prefix.parent / "pts_in_hull.npy",
                      *prefix.parent.glob(prefix.name + ".data-*")]
    if bins_path is not None:
        files.append(Path(bins_path))
    return [str(file) for file in files]


def _checkpoint_prefix(path: Path) -> Path | None:
    """The checkpoint prefix that ``path`` names (prefix, .index or .data-* file), if any."""
    text = str(path)
    if text.endswith(".index"):
        return Path(text[: -len(".index")])
    match = re.match(r"(.*)\.data-\d{5}-of-\d{5}$", text)
    if match:
        return Path(match.group(1))
    if Path(text + ".index").is_file():
        return path
    return None


def _find_checkpoint(path: Path) -> Path:
    if path.is_dir():
        indexes = sorted(path.glob("*.index"))
        if len(indexes) != 1:
            raise BadInputError(
                f"{path}: expected one TF checkpoint (*.index) in the folder, found {len(indexes)}"
            )
        return Path(str(indexes[0])[: -len(".index")])
    prefix = _checkpoint_prefix(path)
    if prefix is None or not Path(str(prefix) + ".index").is_file():
        raise BadInputError(f"{path}: TF checkpoint index file is missing")
    return prefix


def load_bins(path: PathLike) -> np.ndarray:
    """Read ab bin centres (Q, 2) from a ``.npy`` file (no pickles)."""
    path = Path(path)
    check_regular(path, "a bins file")
    if path.stat().st_size > 1024**2:  # 313 x 2 float64 take 5 kB
        raise BadInputError(f"{path.name}: too large for a bins file")
    try:
        bins = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise BadInputError(f"no such bins file: {path}") from None
    # numpy parses the header with tokenize: a damaged one can raise TokenError/SyntaxError.
    except (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError) as error:
        reason = first_line(error, limit=100)
        raise BadInputError(f"{path.name}: not a readable .npy bins file ({reason})") from None
    return check_bins(bins, name=f"bins file {path.name}")


def load_npz(path: PathLike) -> ModelWeights:
    """Read the project's own model file."""
    path = Path(path)
    check_npz_sizes(path, MAX_NPZ_MEMBERS, MAX_NPZ_BYTES)  # as set here (tests lower them)
    try:
        with np.load(path, allow_pickle=False) as archive:
            files = list(archive.files)
            if "bins" not in files or "metadata" not in files:
                raise BadInputError(f"{path.name}: not a colorize model file (no bins/metadata)")
            weights = {
                name[len("weights/"):]: archive[name]
                for name in files if name.startswith("weights/")
            }
            bins = archive["bins"]
            metadata = json.loads(str(archive["metadata"]))
    except BadInputError:
        raise
    # zlib.error and NotImplementedError (unknown compression) come from damaged members.
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error,
            NotImplementedError, RecursionError, SyntaxError, tokenize.TokenError) as error:
        # zipfile may quote a whole damaged header: keep the first 100 characters.
        reason = first_line(error, limit=100)
        raise BadInputError(f"{path.name}: truncated or corrupt model file ({reason})") from None
    validate_metadata(metadata, path.name)
    version = metadata.get("format_version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadInputError(f"{path.name}: metadata has no valid format version")
    if version > FORMAT_VERSION:
        raise BadInputError(f"{path.name}: made by a newer version of this program")
    return ModelWeights(weights, bins, metadata, str(path))


def load_tf_checkpoint(path: PathLike, bins_path: PathLike | None = None) -> ModelWeights:
    """Read a colorization-tf checkpoint; bins from ``bins_path`` or pts_in_hull.npy beside it."""
    import tensorflow as tf

    prefix = _find_checkpoint(Path(path))
    if bins_path is None:
        candidate = prefix.parent / "pts_in_hull.npy"
        if not candidate.is_file():
            raise SettingError("bins", words=lambda name: (
                f"{prefix.name}: a TF checkpoint needs its ab bins: give a bins .npy file "
                f"({name('bins')} pts_in_hull.npy) or put pts_in_hull.npy beside it"))
        bins_path = candidate
    bins = load_bins(bins_path)
    # Every file TensorFlow's reader opens is checked like any input first: a FIFO as the
    # .data file would block it forever, a /proc file never end.
    check_regular(Path(str(prefix) + ".index"), "a TF checkpoint file")
    for data in sorted(prefix.parent.glob(glob.escape(prefix.name) + ".data-*")):
        check_regular(data, "a TF checkpoint file")
    wanted = ("conv", "bn_")
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        names = [n for n in reader.get_variable_to_shape_map() if n.startswith(wanted)]
        # Only the network's own variables: optimiser slots (.../Adam) are not needed.
        names = [n for n in names if n.count("/") == 1]
        weights = {name: np.asarray(reader.get_tensor(name)) for name in names}
    except (tf.errors.OpError, ValueError, IndexError, RuntimeError) as error:
        # A cut .data file surfaces as IndexError ("Read less bytes than requested").
        raise BadInputError(
            f"{prefix.name}: cannot read the TF checkpoint ({first_line(error, limit=200)}); "
            "is it truncated?"
        ) from None
    metadata = dict(TF_CHECKPOINT_METADATA, source_format="tf_checkpoint", name=prefix.name)
    return ModelWeights(weights, bins, metadata, str(prefix))


def convert_torch_state(state: dict[str, np.ndarray], source: str) -> ModelWeights:
    """The authors' ECCV16 state dict (PyTorch layout) -> TF names and layouts.

    Blocks ``model1`` .. ``model8`` hold, in index order, their convolutions (4-D
    ``weight`` and ``bias``) then, for blocks 1-7, a batch norm (``weight``, ``bias``,
    ``running_mean``, ``running_var``); ``model_out.weight`` (2, Q, 1, 1) holds the
    bins divided by 110. Widths are whatever the shapes say.
    """
    weights: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    conv_number = 0
    for block, conv_count in enumerate(CONVS_PER_BLOCK, start=1):
        indices = sorted({int(m.group(1)) for key in state
                          if (m := re.match(rf"model{block}\.(\d+)\.", key))})
        convs = [i for i in indices if f"model{block}.{i}.weight" in state
                 and np.ndim(state[f"model{block}.{i}.weight"]) == 4]
        norms = [i for i in indices if f"model{block}.{i}.running_mean" in state]
        if len(convs) != conv_count or len(norms) != (1 if block <= 7 else 0):
            raise BadInputError(
                f"{source}: not the ECCV16 layout (block model{block} has {len(convs)} "
                f"convolutions and {len(norms)} batch norms)"
            )
        for i in convs:
            conv_number += 1
            prefix = f"model{block}.{i}"
            kernel = state[f"{prefix}.weight"]
            # Conv2d (out, in, kh, kw) and ConvTranspose2d (in, out, kh, kw) both become
            # TF's (kh, kw, in, out) and (kh, kw, out, in) by the same permutation.
            weights[f"conv{conv_number}/weights"] = kernel.transpose(2, 3, 1, 0)
            names[f"conv{conv_number}/weights"] = f"{prefix}.weight"
            bias_key = f"{prefix}.bias"
            if bias_key not in state:
                raise BadInputError(f"{source}: missing variable {bias_key}")
            weights[f"conv{conv_number}/biases"] = state[bias_key]
            names[f"conv{conv_number}/biases"] = bias_key
        for i in norms:
            prefix = f"model{block}.{i}"
            for ours, theirs in (("gamma", "weight"), ("beta", "bias"),
                                 ("moving_mean", "running_mean"),
                                 ("moving_variance", "running_var")):
                key = f"{prefix}.{theirs}"
                if key not in state:
                    raise BadInputError(f"{source}: missing variable {key}")
                weights[f"bn_{block}/{ours}"] = state[key]
                names[f"bn_{block}/{ours}"] = key
    if "model_out.weight" not in state:
        raise BadInputError(f"{source}: missing variable model_out.weight (the ab bins)")
    out = np.asarray(state["model_out.weight"])
    if out.ndim != 4 or out.shape[0] != 2 or out.shape[2:] != (1, 1):
        raise BadInputError(
            f"{source}: variable model_out.weight has shape {out.shape}, expected (2, Q, 1, 1)"
        )
    bins = out[:, :, 0, 0].T * TORCH_AB_SCALE
    metadata = dict(TORCH_RELEASE_METADATA, source_format="torch", source_names=names,
                    name=Path(source).stem)
    return ModelWeights(weights, bins, metadata, None)


def load_torch(path: PathLike) -> ModelWeights:
    """Read and convert the authors' PyTorch release (zip or legacy layout), without torch."""
    from algorithms.cnn.torch_pickle import load_torch_state_dict

    path = Path(path)
    model = convert_torch_state(load_torch_state_dict(path), path.name)
    model.path = str(path)
    return model


def load_model(source: PathLike, bins_path: PathLike | None = None) -> ModelWeights:
    """Load any supported model file, validated.

    Parameters
    ----------
    source : str or path-like
        The project's ``.npz``, a TF checkpoint (prefix, ``.index`` / ``.data-*`` file or
        folder) or a PyTorch ``.pth``. Registry names are resolved by
        :func:`colorize_app.io.model_registry.resolve_model`, not here.
    bins_path : path, optional
        ab bins ``.npy`` for a TF checkpoint (default: ``pts_in_hull.npy`` beside it).

    Raises
    ------
    BadInputError
        For a missing, truncated, unsafe or malformed file, naming the bad variable.
    """
    path = Path(source)
    kind = detect_format(path)
    if kind == "npz":
        model = load_npz(path)
    elif kind == "torch":
        model = load_torch(path)
    else:
        model = load_tf_checkpoint(path, bins_path)
    return validate(model, path.name)


def model_arrays(model: ModelWeights, name: str, half: bool = False,
                 **metadata: object) -> dict[str, np.ndarray]:
    """The arrays of the project's ``.npz`` for ``model`` (validated; ``name`` for errors).

    ``half`` stores a pretrained encoder's weights as float16 (they are read back as
    float32); the head's stay float32. Extra keyword arguments are stored in the
    metadata (e.g. ``notes="..."``). Writing them is the application's
    (``colorize_app.io.model_writer.save_model``).
    """
    model = validate(model, name)
    arch: Any = model.architecture  # either kind, told apart by is_encoder_head
    meta = {k: v for k, v in model.metadata.items() if k != "source_names"}
    meta.update(metadata)
    if model.is_encoder_head:
        meta.update(format_version=FORMAT_VERSION, architecture=ENCODER_NAME,
                    encoder=arch.encoder.to_json(), head_width=arch.width, bins=arch.bins)
    else:
        meta.update(format_version=FORMAT_VERSION, widths=list(arch.widths), bins=arch.bins,
                    width=model.width_multiplier, padding=arch.padding,
                    bn_epsilon=arch.bn_epsilon)
        meta.setdefault("input_offset", 50.0)
        meta.setdefault("input_scale", 1.0)
    meta["storage"] = "float16" if half else "float32"

    def stored(variable: str, value: np.ndarray) -> np.ndarray:
        # The pretrained encoder holds most of the weights; the trained head, whose
        # last layer sharpens every error, stays float32.
        wanted = np.float16 if half and variable.startswith("encoder/") else np.float32
        return value.astype(wanted)

    arrays = {f"weights/{variable}": stored(variable, value)
              for variable, value in model.weights.items()}
    arrays["bins"] = model.bins
    arrays["metadata"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays
