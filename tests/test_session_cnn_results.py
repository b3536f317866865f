"""A CNN session keeps every colorized photo's result in its project, each decoded once per
temperature."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from colorize_app.sessions.cnn import CnnSession, PhotoEntry

if TYPE_CHECKING:
    from algorithms.cnn.colorizer import Prediction


class CountingPrediction:
    """Stands in for a network output: decodes to a flat colour that depends on T."""

    def __init__(self, shape: tuple[int, int], red: float) -> None:
        self.shape, self.red = shape, red
        self.decoded_at: list[float] = []

    def decode(self, temperature):
        self.decoded_at.append(temperature)
        rgb = np.zeros(self.shape + (3,), np.float32)
        rgb[..., 0] = self.red
        rgb[..., 2] = temperature
        return rgb


def two_colorized(temperature: float = 0.3) -> tuple[CnnSession, list[CountingPrediction]]:
    predictions = [CountingPrediction((4, 6), 0.2), CountingPrediction((5, 3), 0.7)]
    photos = [PhotoEntry("/photos/a.png", 6, 4), PhotoEntry("/photos/b.png", 3, 5)]
    for photo, prediction in zip(photos, predictions):
        photo.set_prediction(cast("Prediction", prediction))  # decodes as one would
    return CnnSession(photos=photos, current=1, temperature=temperature), predictions


def test_every_colorized_photo_is_in_the_project_at_its_temperature():
    session, predictions = two_colorized()
    session.decode_current()
    layers = session.to_project().layers
    assert sorted(layers) == ["result_0", "result_1"]
    assert layers["result_0"].shape == (4, 6, 3) and layers["result_1"].shape == (5, 3, 3)
    assert np.allclose(layers["result_0"][..., 0], 0.2)
    assert np.allclose(layers["result_1"][..., 0], 0.7)
    assert np.allclose(layers["result_0"][..., 2], 0.3)  # the session's temperature
    assert [p.decoded_at for p in predictions] == [[0.3], [0.3]]


def test_a_result_is_decoded_once_per_temperature():
    session, predictions = two_colorized()
    first = session.photos[0].result(0.3)
    assert session.photos[0].result(0.3) is first
    session.to_project()
    assert predictions[0].decoded_at == [0.3]  # the project took the same decoding
    session.temperature = 0.5
    session.to_project()
    assert predictions[0].decoded_at == [0.3, 0.5]
    assert np.allclose(session.photos[0].result(0.5)[..., 2], 0.5)


def test_a_new_prediction_replaces_a_restored_result_and_older_decodings():
    session, _ = two_colorized()
    entry = session.photos[0]
    entry.result(0.3)
    entry.saved_result = np.ones((4, 6, 3), np.float32)
    again = CountingPrediction((4, 6), 0.9)
    ready = np.full((4, 6, 3), 0.25, np.float32)
    entry.set_prediction(again, (0.3, ready))
    assert entry.saved_result is None and entry.result(0.3) is ready
    assert again.decoded_at == []  # the decoding handed in was used
    assert np.allclose(entry.result(0.4)[..., 0], 0.9)


def test_photos_not_colorized_have_no_layer():
    session, _ = two_colorized()
    session.photos.append(PhotoEntry("/photos/c.png", 2, 2))
    assert sorted(session.to_project().layers) == ["result_0", "result_1"]
