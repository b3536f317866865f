"""Model loading for every front (colorize_app.sessions.cnn): one read per unchanged file,
one temperature rule (None: the model's own decoding; a given T overrides), one range check."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import numpy as np
import pytest

from algorithms.cnn.decode import DEFAULT_TEMPERATURE, Decoding
from algorithms.errors import BadInputError
from colorize_app.io import model_registry as registry
from colorize_app.io.model_files import load_model as read_model_file
from colorize_app.io.model_writer import save_model
from colorize_app.sessions import cnn
from colorize_app.sessions.cnn import (
    ModelChoice,
    decoding_for,
    forget_models,
    load_colorizer,
    load_model,
    resolve_choice,
)

#: A decoding a model file may recommend, unlike the default one in every field tested.
RECOMMENDED = Decoding(temperature=0.6, rebalance=0.5, neutral=1.0, gain=1.5, vividness=0.3)


@pytest.fixture(autouse=True)
def empty_cache():
    forget_models()
    yield
    forget_models()


@pytest.fixture
def tuned_model(tmp_path, model_file):
    """The tiny model with a recommended decoding in its file."""
    model = read_model_file(model_file)
    path = tmp_path / "tuned.npz"
    save_model(path, replace(model, metadata=dict(model.metadata,
                                                  decoding=RECOMMENDED.to_metadata())))
    return path


def test_a_model_is_read_once_while_its_file_is_unchanged(tmp_path, model_file):
    path = tmp_path / "copy.npz"
    shutil.copy(model_file, path)
    first = load_model(ModelChoice(str(path)))
    assert load_model(str(path)) is first  # a path names the same file: the same weights
    stamp = os.stat(path).st_mtime_ns
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))  # rewritten (same size, new time)
    again = load_model(str(path))
    assert again is not first
    np.testing.assert_array_equal(again.bins, first.bins)
    forget_models()
    assert load_model(str(path)) is not again


def test_another_file_replaces_the_kept_model(tmp_path, model_file):
    other = tmp_path / "other.npz"
    shutil.copy(model_file, other)
    first = load_model(str(model_file))
    load_model(str(other))
    assert load_model(str(model_file)) is not first  # only the last one is kept


def test_a_missing_file_is_refused_by_the_reader():
    with pytest.raises(BadInputError, match="absent.npz"):
        load_model(ModelChoice("/nowhere/absent.npz"))


def test_none_is_the_default_model_and_names_resolve(tmp_path, model_file, monkeypatch):
    monkeypatch.setenv(registry.DATA_DIR_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setattr(registry, "shipped_model_path", lambda: tmp_path / "absent.npz")
    with pytest.raises(registry.ModelNotFoundError, match="no colorization model installed"):
        resolve_choice(None)
    monkeypatch.setattr(registry, "shipped_model_path", lambda: model_file)
    assert resolve_choice(None) == ModelChoice(str(model_file))
    assert resolve_choice(registry.SHIPPED_NAME) == ModelChoice(str(model_file))
    choice = ModelChoice("x.npz", "bins.npy", "label")
    assert resolve_choice(choice) is choice


def test_no_temperature_is_the_models_own_decoding(tuned_model):
    model = load_model(str(tuned_model))
    assert decoding_for(model) == RECOMMENDED
    assert decoding_for(model, temperature=0.25) == replace(RECOMMENDED, temperature=0.25)
    # A model without a recommendation: the calibrated default.
    plain = replace(model, metadata={})
    assert decoding_for(plain) == Decoding()
    assert decoding_for(plain).temperature == DEFAULT_TEMPERATURE


def test_the_papers_decoding_ignores_the_models_and_takes_a_given_temperature(tuned_model):
    model = load_model(str(tuned_model))
    assert decoding_for(model, decoding="paper") == Decoding.paper()
    assert decoding_for(model, decoding="paper", temperature=0.7) == Decoding.paper(0.7)


@pytest.mark.parametrize(("options", "message"), [
    ({"temperature": 0.0}, "temperature must be in (0, 10], got 0.0"),
    ({"temperature": 11}, "temperature must be in (0, 10], got 11"),
    ({"temperature": True}, "temperature must be in (0, 10], got True"),
    ({"decoding": "vivid"}, "decoding must be one of calibrated, paper, got vivid"),
    ({"input_size": 100}, "network input size must be a multiple of 8, got 100"),
])
def test_settings_are_refused_before_the_model_is_read(options, message):
    # The model path does not exist: the setting's error comes first.
    with pytest.raises(BadInputError) as error:
        load_colorizer(ModelChoice("/nowhere/absent.npz"), **options)
    assert str(error.value) == message


def test_the_colorizer_has_the_chosen_decoding_and_size(tuned_model):
    with load_colorizer(str(tuned_model), input_size=32) as colorizer:
        assert colorizer.decoding == RECOMMENDED and colorizer.input_size == 32
        assert colorizer.model is load_model(str(tuned_model))  # the kept weights
    with load_colorizer(ModelChoice(str(tuned_model)), temperature=0.2, decoding="paper",
                        input_size=None) as colorizer:
        assert colorizer.decoding == Decoding.paper(0.2) and colorizer.input_size is None


def test_loaded_weights_are_used_as_they_are(model_file):
    model = replace(read_model_file(model_file), metadata={"decoding": {"temperature": 0.9}})
    with load_colorizer(model, input_size=16) as colorizer:
        assert colorizer.model is model and colorizer.decoding.temperature == 0.9
    assert cnn._CACHED is None  # nothing read, nothing kept
