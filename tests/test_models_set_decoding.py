"""`colorize models set-decoding`: the decoding a model file recommends, set by command."""

from __future__ import annotations

from algorithms.cnn.decode import Decoding
from colorize_app import cli
from colorize_app.io.model_files import load_model


def test_set_decoding_writes_the_values_and_keeps_the_rest(model_file, tmp_path, capsys):
    out = tmp_path / "tuned.npz"
    assert cli.main(["models", "set-decoding", str(model_file), str(out), "--neutral", "1",
                     "--gain", "1.75", "--vividness", "0.35", "--flip"]) == 0
    before, after = load_model(model_file), load_model(out)
    decoding = Decoding.from_metadata(after.metadata)
    assert (decoding.neutral, decoding.gain, decoding.vividness) == (1.0, 1.75, 0.35)
    assert decoding.temperature == Decoding().temperature  # left out: unchanged
    assert after.metadata["test_time_flip"] is True
    assert after.describe().split(":", 1)[1] == before.describe().split(":", 1)[1]
    assert all((after.weights[name] == before.weights[name]).all() for name in before.weights)
    assert "flip averaging on" in capsys.readouterr().out
    again = tmp_path / "again.npz"  # a second change keeps the first
    assert cli.main(["models", "set-decoding", str(out), str(again), "--no-flip"]) == 0
    assert load_model(again).metadata["decoding"] == after.metadata["decoding"]
    assert load_model(again).metadata["test_time_flip"] is False


def test_a_bad_value_is_one_line_and_writes_nothing(model_file, tmp_path, capsys):
    out = tmp_path / "bad.npz"
    assert cli.main(["models", "set-decoding", str(model_file), str(out),
                     "--rebalance", "5"]) == 1
    assert capsys.readouterr().err.strip() == \
        "colorize: error: rebalance must be in [0, 2], got 5.0"
    assert not out.exists()
    assert cli.main(["models", "set-decoding", str(model_file), str(model_file)]) == 1
