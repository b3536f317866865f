"""Read PyTorch ``.pth`` state dicts WITHOUT torch, refusing anything but tensor data.

A ``.pth`` file is a pickle, and unpickling can call any importable function. This
reader's :class:`RestrictedUnpickler` resolves only the few names that rebuilding a
state dict needs (an ``OrderedDict``, ``torch._utils._rebuild_tensor_v2`` /
``_rebuild_parameter`` and the typed storage classes) to numpy stand-ins written here;
any other global makes :func:`find_class` raise :class:`UnsafeModelError` before the
pickle can call it, so a crafted file runs nothing.

Both of torch's layouts are read:

- zip (the default since PyTorch 1.6): ``<root>/data.pkl`` whose persistent ids name
  records ``<root>/data/<key>`` holding each storage's raw bytes;
- legacy (``_use_new_zipfile_serialization=False``): a stream of pickles (magic number,
  protocol version, system info, the state dict, the list of storage keys) followed by
  each storage as an int64 element count and its raw bytes.
"""

from __future__ import annotations

import collections
import io
import pickle
import pickletools
import struct
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from algorithms.errors import BadInputError, first_line

#: The magic number and protocol version that start a legacy torch file.
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

#: Typed storage class names (``torch.FloatStorage`` ...) -> numpy dtype (little-endian).
STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",  # widened to float32 after reading
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}

#: Refuse storages larger than this (a real ECCV16 file holds about 130 MB in total).
MAX_STORAGE_BYTES = 2 * 1024**3
#: Refuse files whose storages, or whose tensors once copied out, exceed this in total.
MAX_TOTAL_BYTES = 2 * 1024**3
#: Refuse a zip layout with more members than this (a state dict has a few hundred).
MAX_ZIP_MEMBERS = 100_000
#: Refuse a zip layout's data.pkl larger than this (it holds names and shapes only).
MAX_PICKLE_BYTES = 64 * 1024**2
#: Largest memo index accepted. The C unpickler sizes its memo table by the index it is
#: given, so one crafted LONG_BINPUT would allocate gigabytes; real state dicts use a few
#: thousand entries.
MAX_MEMO_INDEX = 1_000_000
#: Most entries (references followed, shared ones each time) in a state dict: a real one
#: has a few hundred tensors.
MAX_PICKLE_REFERENCES = 1_000_000


class UnsafeModelError(BadInputError):
    """A model file's pickle asks to run code other than tensor rebuilding."""


class _Sealed:
    """A stand-in whose attributes a pickle's BUILD opcode may not set."""

    def __setstate__(self, state: Any) -> None:
        # Plain state dicts never set state on tensors or storages; a pickle that does
        # could fake a storage's size (reading past its end) or a dtype.
        raise UnsafeModelError(f"the pickle tries to set attributes on a {type(self).__name__}")


class _StorageType(_Sealed):
    """Stand-in for ``torch.FloatStorage`` and friends: only names a dtype, never called."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise UnsafeModelError(f"the pickle tries to call torch.{self.name}")


class _Storage(_Sealed):
    """One storage: a flat numpy array, filled at once (zip) or after the pickle (legacy)."""

    def __init__(self, storage_type: _StorageType, numel: int) -> None:
        if not isinstance(numel, int) or numel < 0:
            raise BadInputError("a storage record has an invalid size")
        if numel * storage_type.dtype.itemsize > MAX_STORAGE_BYTES:
            raise BadInputError("a storage record is implausibly large")
        self.storage_type = storage_type
        self.numel = numel
        self.data: np.ndarray | None = None

    def fill(self, raw: bytes) -> None:
        expected = self.numel * self.storage_type.dtype.itemsize
        if len(raw) != expected:
            raise BadInputError(
                f"a storage record holds {len(raw)} bytes, expected {expected} (truncated file?)"
            )
        self.data = np.frombuffer(raw, dtype=self.storage_type.dtype)


class _TensorRef(_Sealed):
    """What ``_rebuild_tensor_v2`` returns: a view description, made an array at the end."""

    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple) -> None:
        if not isinstance(storage, _Storage):
            raise BadInputError("a tensor record does not point at a storage")
        size, stride = tuple(size), tuple(stride)
        if (
            not isinstance(offset, int)
            or len(size) != len(stride)
            or not all(isinstance(n, int) and n >= 0 for n in size + stride)
            or offset < 0
        ):
            raise BadInputError("a tensor record has an invalid shape or stride")
        # The furthest element the view reaches must lie inside the storage.
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset
        if all(size) and last >= storage.numel:
            raise BadInputError("a tensor record reaches past the end of its storage")
        # A state dict's tensors never hold more elements than their storage: a view with
        # zero strides could otherwise make 4 bytes into gigabytes.
        elements = int(np.prod(size, dtype=object)) if size else 1
        if elements > max(storage.numel, 1):
            raise BadInputError(f"a tensor record has {elements:,} elements over a storage "
                                f"of {storage.numel:,}")
        self.nbytes = elements * storage.storage_type.dtype.itemsize
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def to_array(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise BadInputError("a tensor's storage is missing from the file (truncated file?)")
        if not all(self.size):
            array = np.zeros(self.size, dtype=data.dtype)
        else:
            last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
            if last >= data.size:  # checked again against the bytes actually read
                raise BadInputError("a tensor record reaches past the end of its storage")
            itemsize = data.dtype.itemsize
            array = np.lib.stride_tricks.as_strided(
                data[self.offset :],
                shape=self.size,
                strides=tuple(s * itemsize for s in self.stride),
                writeable=False,
            ).copy()
        if self.storage.storage_type.name == "BFloat16Storage":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        return array.astype(array.dtype.newbyteorder("="))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None) -> _TensorRef:
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride) -> _TensorRef:
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None) -> _TensorRef:
    if not isinstance(data, _TensorRef):
        raise BadInputError("a parameter record does not hold a tensor")
    return data


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
_ALLOWED_GLOBALS.update({("torch", name): _StorageType(name) for name in STORAGE_DTYPES})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only tensor-rebuilding names, to numpy stand-ins.

    ``storage_loader(storage)`` is called for each new storage (zip layout: read its
    bytes now); storages are also recorded in ``storages`` by key.
    """

    def __init__(self, file: BinaryIO, storage_loader=None) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}
        self._storage_loader = storage_loader
        self._file = file

    def load(self) -> Any:
        """Check the pickle's memo indices (see MAX_MEMO_INDEX), then unpickle it."""
        start = self._file.tell()
        for opcode, argument, _ in pickletools.genops(self._file):
            if (opcode.name in ("LONG_BINPUT", "LONG_BINGET") and isinstance(argument, int)
                    and argument > MAX_MEMO_INDEX):
                raise BadInputError(f"the pickle uses an implausible memo index ({argument})")
        self._file.seek(start)
        return super().load()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafeModelError(
                f"refusing to load: its pickle would call {module}.{name} "
                "(only tensor data is allowed)"
            ) from None

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] not in ("storage", b"storage"):
            raise BadInputError("the pickle holds an unknown persistent record")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if not isinstance(storage_type, _StorageType):
            raise BadInputError("a storage record names no known storage type")
        key = key.decode("ascii") if isinstance(key, bytes) else str(key)
        if key not in self.storages:
            storage = _Storage(storage_type, numel)
            if self._storage_loader is not None:
                self._storage_loader(key, storage)
            self.storages[key] = storage
        return self.storages[key]


def _tensor_bytes(obj: Any) -> int:
    """Bytes the tensors of a (nested) dict/list will take once copied out.

    The pickle may share one list between many others, level by level (a 541-byte file
    whose lists each hold the one below twice stands for 2^40 entries): the walk counts
    every reference it follows, as copying the tensors out would, and stops at
    :data:`MAX_PICKLE_REFERENCES` or a depth of 50, before any time is spent on the tree
    the graph stands for.
    """
    total, followed = 0, 0
    pending: list[tuple[Any, int]] = [(obj, 0)]
    while pending:
        item, depth = pending.pop()
        followed += 1
        if followed > MAX_PICKLE_REFERENCES:
            raise BadInputError(f"the state dict holds over {MAX_PICKLE_REFERENCES:,} entries "
                                "(lists or dicts shared or nested over and over)")
        if isinstance(item, _TensorRef):
            total += item.nbytes
            continue
        if depth > 50:
            raise BadInputError("the state dict is nested too deeply")
        if isinstance(item, (dict, list, tuple)) and \
                followed + len(pending) + len(item) > MAX_PICKLE_REFERENCES:
            raise BadInputError(f"the state dict holds over {MAX_PICKLE_REFERENCES:,} entries "
                                "(lists or dicts shared or nested over and over)")
        if isinstance(item, dict):
            pending.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend((value, depth + 1) for value in item)
    return total


def _materialise(obj: Any) -> Any:
    """Replace every _TensorRef in a (nested) dict/list by its numpy array."""
    if isinstance(obj, _TensorRef):
        return obj.to_array()
    if isinstance(obj, dict):
        return collections.OrderedDict((key, _materialise(value)) for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialise(value) for value in obj)
    return obj


def _checked_materialise(obj: Any) -> Any:
    """:func:`_materialise`, after checking the total it would copy (MAX_TOTAL_BYTES)."""
    total = _tensor_bytes(obj)
    if total > MAX_TOTAL_BYTES:
        raise BadInputError(f"its tensors would take {total / 2**30:.1f} GiB, over the "
                            f"{MAX_TOTAL_BYTES / 2**30:.0f} GiB limit")
    return _materialise(obj)


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise BadInputError(f"{path.name}: too many members ({len(infos):,})")
        # zipfile never inflates past the declared sizes: checking them bounds the memory.
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise BadInputError(f"{path.name}: its members hold over "
                                f"{MAX_TOTAL_BYTES / 2**30:.0f} GiB uncompressed")
        pickles = [name for name in archive.namelist() if name.endswith("data.pkl")]
        if len(pickles) != 1:
            raise BadInputError(f"{path.name}: not a PyTorch zip file (no single data.pkl)")
        root = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        if f"{root}byteorder" in names and archive.read(f"{root}byteorder") != b"little":
            raise BadInputError(f"{path.name}: big-endian PyTorch files are not supported")

        def read_storage(key: str, storage: _Storage) -> None:
            record = f"{root}data/{key}"
            if record not in names:
                raise BadInputError(f"{path.name}: storage record {key!r} is missing")
            info = archive.getinfo(record)
            if info.file_size > MAX_STORAGE_BYTES:
                raise BadInputError(f"{path.name}: storage record {key!r} is implausibly large")
            storage.fill(archive.read(record))

        if archive.getinfo(pickles[0]).file_size > MAX_PICKLE_BYTES:
            raise BadInputError(f"{path.name}: data.pkl is implausibly large")
        unpickler = RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), read_storage)
        return _checked_materialise(unpickler.load())


def _load_legacy(path: Path) -> Any:
    with open(path, "rb") as handle:
        header = RestrictedUnpickler(handle)
        magic = header.load()
        if magic != LEGACY_MAGIC:
            raise BadInputError(f"{path.name}: not a PyTorch file (wrong magic number)")
        if RestrictedUnpickler(handle).load() != LEGACY_PROTOCOL:
            raise BadInputError(f"{path.name}: unsupported legacy PyTorch protocol version")
        sys_info = RestrictedUnpickler(handle).load()
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise BadInputError(f"{path.name}: big-endian PyTorch files are not supported")
        unpickler = RestrictedUnpickler(handle)
        result = unpickler.load()
        keys = RestrictedUnpickler(handle).load()
        if not isinstance(keys, list):
            raise BadInputError(f"{path.name}: the storage key list is malformed")
        for key in keys:
            storage = unpickler.storages.get(str(key))
            if storage is None:
                raise BadInputError(f"{path.name}: unknown storage key {key!r}")
            count = handle.read(8)
            if len(count) != 8:
                raise BadInputError(f"{path.name}: the file is truncated")
            (numel,) = struct.unpack("<q", count)
            if numel != storage.numel:
                raise BadInputError(f"{path.name}: storage {key!r} has an inconsistent size")
            storage.fill(handle.read(numel * storage.storage_type.dtype.itemsize))
        return _checked_materialise(result)


def _short(error: BaseException) -> str:
    """The first 100 characters of an error's first line: pickle errors may quote the file."""
    return first_line(error, limit=100)


def load_torch_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Read a PyTorch state dict file into ``{name: ndarray}`` without importing torch.

    Parameters
    ----------
    path : str or Path
        A ``.pth`` / ``.pt`` file written by ``torch.save`` (zip or legacy layout).

    Returns
    -------
    dict of str to ndarray
        The tensors, in the file's order, as numpy arrays in PyTorch's layout.

    Raises
    ------
    UnsafeModelError
        If the pickle names anything but tensor-rebuilding functions (nothing is called).
    BadInputError
        If the file is not a PyTorch state dict, or is truncated or corrupt.
    """
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            state = _load_zip(path)
        else:
            state = _load_legacy(path)
    except BadInputError as error:
        message = str(error)
        if not message.startswith(path.name):
            raise type(error)(f"{path.name}: {message}") from None
        raise
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise BadInputError(f"{path.name}: cannot read the PyTorch file ({_short(error)}); "
                            "is it truncated?") from None
    except Exception as error:  # noqa: BLE001 - any malformed pickle is a bad input
        raise BadInputError(
            f"{path.name}: not a readable PyTorch state dict "
            f"({type(error).__name__}: {_short(error)})"
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(
        isinstance(value, np.ndarray) for value in state.values()
    ):
        raise BadInputError(f"{path.name}: does not hold a state dict of tensors")
    return dict(state)
