"""Every parser of user files, fed random, truncated and mutated bytes (hypothesis).

The targets and their seeds live in ``fuzz/targets.py``, shared with the atheris harness
(``make fuzz``, longer runs). Here each target gets a bounded number of examples, so the
whole file stays within a few seconds; the contract is the same: a parser accepts the
bytes or raises ColorizeError with a one-line message, nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fuzz/ folder

from fuzz.targets import TARGETS, check, seeds

EXAMPLES = 40
FAST = ["region_json", "project_file", "project_strokes", "image", "marked_image", "hint_mask",
        "model_npz", "model_pth", "bins_npy", "frame_folder"]
TENSORFLOW = ["tf_checkpoint_index", "tf_checkpoint_data"]


@st.composite
def damaged(draw, seed_list: list[bytes]) -> bytes:
    """A seed cut short, with bytes overwritten or inserted, or plain random bytes."""
    how = draw(st.sampled_from(["truncate", "overwrite", "insert", "random"]))
    if how == "random" or not seed_list:
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(seed_list)))
    if how == "truncate":
        return bytes(data[:draw(st.integers(0, len(data)))])
    edits = draw(st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)),
                                    st.binary(min_size=1, max_size=8)), min_size=1, max_size=6))
    for position, chunk in edits:
        if how == "overwrite":
            data[position:position + len(chunk)] = chunk
        else:
            data[position:position] = chunk
    return bytes(data)


@pytest.fixture(autouse=True)
def restore_pixel_limit(monkeypatch):
    """The fuzz targets lower media.MAX_PIXELS (and the strokes' drawing budget) for the
    harness: undo it after each test."""
    from colorize_app.documents import strokes
    from colorize_app.io import media

    monkeypatch.setattr(media, "MAX_PIXELS", media.MAX_PIXELS)
    monkeypatch.setattr(strokes, "RASTER_WORK_FLOOR", strokes.RASTER_WORK_FLOOR)


def fuzz(name: str, examples: int) -> None:
    target = TARGETS[name]

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=damaged(seeds(name)))
    def run(data: bytes) -> None:
        check(target, data)

    run()


@pytest.mark.parametrize("name", FAST)
def test_damaged_files_give_colorize_errors_only(name):
    fuzz(name, EXAMPLES)


@pytest.mark.parametrize("name", TENSORFLOW)
def test_damaged_tf_checkpoints_give_colorize_errors_only(name):
    pytest.importorskip("tensorflow")
    fuzz(name, EXAMPLES // 4)  # each case opens a checkpoint: slower than the others


@pytest.mark.parametrize("name", FAST)
def test_every_seed_is_accepted(name):
    """The seeds are valid files: the fuzzing starts from inputs that parse."""
    accepted = [check(TARGETS[name], seed) == "" for seed in seeds(name)]
    # Seeds that are meant to be refused (an empty pair list...) are listed after the first.
    assert accepted[0], name


def test_implausible_pickle_memo_index_is_refused_without_allocating(tmp_path):
    """Found by fuzzing: one LONG_BINPUT with a huge index made the C unpickler allocate
    11 GB and take 25 s; now the index is checked before unpickling."""
    import pickle
    import struct

    from algorithms.errors import BadInputError
    from colorize_app.io.torch_pickle import load_torch_state_dict

    stream = (pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.LONG_BINPUT
              + struct.pack("<I", 700_000_000) + pickle.STOP)
    path = tmp_path / "memo.pth"
    path.write_bytes(stream)
    with pytest.raises(BadInputError, match="implausible memo index"):
        load_torch_state_dict(path)


@pytest.mark.parametrize("text, message", [
    ("[" * 50_000, "regions are nested too deeply to be a region file"),
    ('{"pairs": [{"reference": [1' + "0" * 400 + ', 0, 1, 1], "target": [0, 0, 1, 1]}]}',
     "regions: pair 1: reference: x must be a finite number of at most 1,000,000,000"),
    ('{"pairs": [{"reference": [1' + "0" * 5000 + ', 0, 1, 1], "target": [0, 0, 1, 1]}]}',
     "regions are not valid JSON (Exceeds the limit"),
])
def test_region_json_bugs_found_by_fuzzing_stay_fixed(text, message):
    """RecursionError, OverflowError and ValueError used to escape parse_regions."""
    from algorithms.errors import BadInputError
    from algorithms.regions import parse_regions

    with pytest.raises(BadInputError) as error:
        parse_regions(text)
    assert str(error.value).startswith(message)


def sixteen_bit_png_with_a_lying_chunk_length() -> bytes:
    """A 16 x 12 16-bit PNG whose IDAT claims 4,110,418,449 bytes (a fuzzer's find)."""
    from colorize_app.io import media

    rng = np.random.default_rng(0)
    data = bytearray(media.encode_image(".png", rng.random((12, 16, 3)), 16, 95))
    idat = data.index(b"IDAT") - 4
    data[idat:idat + 4] = (4_110_418_449).to_bytes(4, "big")
    return bytes(data)


def test_a_lying_png_chunk_length_is_refused_without_allocating(tmp_path):
    """OpenCV's PNG reader allocated the declared length: 4 GB for a 382-byte file."""
    import resource

    from algorithms.errors import BadInputError
    from colorize_app.io import media
    from colorize_app.io.project import decode_layer

    path = tmp_path / "lying.png"
    path.write_bytes(sixteen_bit_png_with_a_lying_chunk_length())
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BadInputError, match="lying.png is truncated or corrupt"):
        media.read_image(path)
    with pytest.raises(BadInputError, match="layer is a damaged PNG image"):
        decode_layer(path.read_bytes(), "image")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000


def test_a_damaged_npy_header_is_a_bad_bins_file(tmp_path):
    """numpy's header parser raised tokenize.TokenError, which escaped load_bins."""
    from algorithms.errors import BadInputError
    from colorize_app.io.model_files import load_bins

    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': ((313, 2), }"  # one ( too many
    header += b" " * (107 - len(header)) + b"\n"
    path = tmp_path / "bins.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
                     + bytes(100))
    with pytest.raises(BadInputError, match="bins.npy: not a readable .npy bins file"):
        load_bins(path)


def test_a_pickle_error_quoting_the_file_is_cut_to_one_short_line(tmp_path):
    """A damaged STRING opcode made the message quote kilobytes of the pickle."""
    import io
    import zipfile

    from algorithms.errors import BadInputError
    from colorize_app.io.torch_pickle import load_torch_state_dict

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02S" + b"x" * 5000 + b"\n.")
    path = tmp_path / "quoted.pth"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(BadInputError) as error:
        load_torch_state_dict(path)
    message = str(error.value)
    assert message.startswith("quoted.pth: not a readable PyTorch state dict (ValueError: ")
    assert len(message) < 200 and "\n" not in message
