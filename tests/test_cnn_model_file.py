"""Model sources: the project's .npz, the authors' .pth (zip and legacy) read without torch,
unsafe pickles, malformed and truncated files."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from algorithms.cnn.architecture import Architecture, random_weights
from algorithms.cnn.model_weights import ModelWeights, convert_torch_state
from algorithms.errors import BadInputError
from colorize_app.io.model_files import detect_format, load_bins, load_model
from colorize_app.io.model_writer import save_model
from colorize_app.io.torch_pickle import LEGACY_MAGIC, UnsafeModelError, load_torch_state_dict

FIXTURES = Path(__file__).parent / "fixtures"
TORCH_FIXTURES = [FIXTURES / "eccv16_tiny.pth", FIXTURES / "eccv16_tiny_legacy.pth"]
TINY = Architecture(widths=(4, 8, 8, 16, 16, 16, 16, 8))


@pytest.fixture
def tiny_model(rng) -> ModelWeights:
    return ModelWeights(random_weights(TINY, seed=5), rng.uniform(-90, 90, (313, 2)),
                        {"input_offset": 50.0, "input_scale": 100.0, "padding": "tf_same",
                         "bn_epsilon": 1e-3})


# --- the authors' PyTorch release, read without torch ----------------------------------------

@pytest.mark.parametrize("path", TORCH_FIXTURES, ids=["zip", "legacy"])
def test_pth_fixture_is_read_and_converted(path):
    assert detect_format(path) == "torch"
    model = load_model(path)
    arch = model.architecture
    # The fixture's widths are the release's divided by 32: inferred from the shapes.
    assert arch.widths == (2, 4, 8, 16, 16, 16, 16, 8) and arch.bins == 313
    assert arch.padding == "torch_symmetric" and arch.bn_epsilon == 1e-5
    assert model.metadata["input_offset"] == 50 and model.metadata["input_scale"] == 100
    # PyTorch Conv2d (out, in, kh, kw) -> TF (kh, kw, in, out); the bins are model_out x 110.
    state = load_torch_state_dict(path)
    np.testing.assert_array_equal(model.weights["conv5/weights"],
                                  state["model3.0.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_allclose(model.bins, state["model_out.weight"][:, :, 0, 0].T * 110,
                               rtol=1e-6)
    # The fixture's bins lie on the ab grid of 10, as the release's do.
    np.testing.assert_allclose(model.bins / 10, np.round(model.bins / 10), atol=1e-4)


def test_zip_and_legacy_layouts_hold_the_same_tensors():
    zipped, legacy = (load_torch_state_dict(path) for path in TORCH_FIXTURES)
    assert list(zipped) == list(legacy)
    assert zipped["model1.4.num_batches_tracked"].dtype == np.int64
    for name in zipped:
        np.testing.assert_array_equal(zipped[name], legacy[name])


def test_pth_with_a_wrong_shape_names_the_variable():
    state = load_torch_state_dict(TORCH_FIXTURES[0])
    state["model3.2.weight"] = state["model3.2.weight"][:, :5]
    with pytest.raises(BadInputError, match=r"model3\.2\.weight \(conv6/weights\) has shape"):
        from algorithms.cnn.model_weights import validate

        validate(convert_torch_state(state, "x.pth"), "x.pth")


def test_pth_of_another_network_is_refused():
    state = load_torch_state_dict(TORCH_FIXTURES[0])
    del state["model5.2.weight"], state["model5.2.bias"]
    with pytest.raises(BadInputError, match="not the ECCV16 layout"):
        convert_torch_state(state, "x.pth")


# --- unsafe pickles -----------------------------------------------------------------------------

class _WritesAFile:
    """Unpickling this calls os.system, which would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _OpensAFile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _zip_pth(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", payload)
        archive.writestr("evil/byteorder", "little")
        archive.writestr("evil/version", "3\n")
    return path


def _legacy_pth(path: Path, payload: bytes) -> Path:
    header = b"".join(pickle.dumps(x, protocol=2) for x in (
        LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True}))
    path.write_bytes(header + payload + pickle.dumps([], protocol=2))
    return path


@pytest.mark.parametrize("layout", [_zip_pth, _legacy_pth], ids=["zip", "legacy"])
@pytest.mark.parametrize("evil", [_WritesAFile, _OpensAFile], ids=["os.system", "open"])
def test_pickle_calling_anything_else_is_refused_and_runs_nothing(tmp_path, layout, evil):
    marker = tmp_path / "pwned"
    # The payload hides among real-looking entries, as a tampered download would.
    payload = pickle.dumps(OrderedDict([("model1.0.bias", 1), ("x", evil(marker))]), protocol=2)
    path = layout(tmp_path / "model.pth", payload)
    with pytest.raises(UnsafeModelError, match="refusing to load"):
        load_model(path)
    assert not marker.exists()


def test_unsafe_pickle_in_the_legacy_header_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pth"
    path.write_bytes(pickle.dumps(_WritesAFile(marker), protocol=2))
    with pytest.raises(UnsafeModelError):
        load_model(path)
    assert not marker.exists()


def test_sanity_the_crafted_payload_does_run_with_a_plain_unpickler(tmp_path):
    # Shows the refusal tests above could fail: the same bytes do create the file.
    marker = tmp_path / "pwned"
    pickle.load(io.BytesIO(pickle.dumps(_OpensAFile(marker)))).close()
    assert marker.exists()


def test_tensor_reaching_past_its_storage_is_refused(tmp_path):
    # A well-formed zip whose tensor claims more elements than its storage holds.
    source = zipfile.ZipFile(TORCH_FIXTURES[0])
    path = tmp_path / "bad.pth"
    with zipfile.ZipFile(path, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("data/0"):
                data = data[:8]  # the 2x1x3x3 kernel's storage cut to 2 floats
            archive.writestr(info, data)
    with pytest.raises(BadInputError, match="bytes"):
        load_model(path)


# --- the project's .npz ------------------------------------------------------------------------

def test_npz_round_trip_keeps_weights_bins_and_metadata(tmp_path, tiny_model):
    path = tmp_path / "tiny.npz"
    save_model(path, tiny_model, notes="trained on nothing")
    assert detect_format(path) == "npz"
    loaded = load_model(path)
    assert loaded.architecture == Architecture(TINY.widths, 313, "tf_same", 1e-3)
    assert loaded.metadata["notes"] == "trained on nothing"
    assert loaded.metadata["input_scale"] == 100.0
    assert loaded.metadata["widths"] == list(TINY.widths)
    np.testing.assert_array_equal(loaded.bins, tiny_model.bins.astype(np.float32))
    for name, value in tiny_model.weights.items():
        np.testing.assert_array_equal(loaded.weights[name], value)
    assert not list(tmp_path.glob(".*partial*"))


def test_pth_converts_to_npz_and_back_unchanged(tmp_path):
    model = load_model(TORCH_FIXTURES[0])
    save_model(tmp_path / "release.npz", model)
    again = load_model(tmp_path / "release.npz")
    assert again.architecture == model.architecture
    for name, value in model.weights.items():
        np.testing.assert_array_equal(again.weights[name], value)


def _rewrite_npz(source: Path, target: Path, change) -> Path:
    with np.load(source) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(target, **arrays)
    return target


def test_npz_with_a_wrong_shape_names_the_variable(tmp_path, tiny_model):
    save_model(tmp_path / "good.npz", tiny_model)

    def shrink(arrays):
        arrays["weights/conv12/weights"] = arrays["weights/conv12/weights"][:, :, :3]

    bad = _rewrite_npz(tmp_path / "good.npz", tmp_path / "bad.npz", shrink)
    with pytest.raises(BadInputError, match=r"bad\.npz: variable conv12/weights has shape"):
        load_model(bad)


def test_npz_with_a_missing_variable_names_it(tmp_path, tiny_model):
    save_model(tmp_path / "good.npz", tiny_model)
    bad = _rewrite_npz(tmp_path / "good.npz", tmp_path / "bad.npz",
                       lambda arrays: arrays.pop("weights/bn_3/gamma"))
    with pytest.raises(BadInputError, match="missing variable bn_3/gamma"):
        load_model(bad)


def test_npz_with_bins_of_the_wrong_shape_is_refused(tmp_path, tiny_model):
    save_model(tmp_path / "good.npz", tiny_model)

    def widen(arrays):
        arrays["bins"] = np.zeros((313, 3), np.float32)

    bad = _rewrite_npz(tmp_path / "good.npz", tmp_path / "bad.npz", widen)
    with pytest.raises(BadInputError, match=r"bins must have shape \(313, 2\)"):
        load_model(bad)


def test_bins_file_of_the_wrong_shape_is_refused(tmp_path):
    np.save(tmp_path / "bins.npy", np.zeros((313, 3)))
    with pytest.raises(BadInputError, match=r"bins\.npy must have shape"):
        load_bins(tmp_path / "bins.npy")


def test_non_finite_weights_are_refused(tmp_path, tiny_model):
    tiny_model.weights["conv2/biases"][0] = np.nan
    with pytest.raises(BadInputError, match="conv2/biases holds non-finite"):
        save_model(tmp_path / "nan.npz", tiny_model)


# --- truncated and unknown files ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["npz", "zip", "legacy"])
def test_truncated_file_gives_a_clear_message(tmp_path, tiny_model, name):
    if name == "npz":
        save_model(tmp_path / "full.npz", tiny_model)
        data = (tmp_path / "full.npz").read_bytes()
    else:
        data = TORCH_FIXTURES[0 if name == "zip" else 1].read_bytes()
    path = tmp_path / f"cut.{'npz' if name == 'npz' else 'pth'}"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(BadInputError, match="truncated") as error:
        load_model(path)
    assert "\n" not in str(error.value)


def test_unknown_and_missing_files_are_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BadInputError, match="not a model file"):
        load_model(tmp_path / "notes.txt")
    with pytest.raises(BadInputError, match="no such model file"):
        load_model(tmp_path / "absent.npz")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        load_model(tmp_path / "empty.pth")


def test_pickle_cannot_set_attributes_on_the_readers_own_objects(tmp_path):
    # GLOBAL torch.FloatStorage; BUILD {"dtype": 1}: would change how every float is read.
    payload = (b"\x80\x02ctorch\nFloatStorage\n}X\x05\x00\x00\x00dtypeK\x01sb.")
    path = _zip_pth(tmp_path / "model.pth", payload)
    with pytest.raises(UnsafeModelError, match="set attributes"):
        load_torch_state_dict(path)
    assert load_model(TORCH_FIXTURES[0]).architecture.bins == 313  # still reads correctly
