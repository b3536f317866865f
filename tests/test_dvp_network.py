"""The Deep Video Prior U-Net and its IRT loss (docs/methods.md, 'Deep Video Prior')."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from algorithms.errors import BadInputError  # noqa: E402
from deep_video_prior.network import DvpNetwork, irt_loss  # noqa: E402


def irt_loss_numpy(main, minor, target, gray):
    """IRT written out: errors / (input + 0.1), max over channels, main wins."""
    scale = 1.0 / (gray[..., None] + 0.1)
    main_error = (np.abs(main - target) * scale).max(axis=-1, keepdims=True)
    minor_error = (np.abs(minor - target) * scale).max(axis=-1, keepdims=True)
    win = (main_error < minor_error).astype(np.float64)
    return np.mean(np.abs(main - target) * win) + np.mean(np.abs(minor - target) * (1 - win))


def test_irt_loss_matches_numpy_on_fixed_arrays():
    rng = np.random.default_rng(5)
    gray = rng.random((6, 7))
    main, minor, target = (rng.normal(0, 0.3, (6, 7, 2)) for _ in range(3))
    expected = irt_loss_numpy(main, minor, target, gray)
    graph = tf.Graph()
    with graph.as_default():
        as_tensor = lambda a: tf.constant(a[None], tf.float32)  # noqa: E731
        loss = irt_loss(as_tensor(main), as_tensor(minor), as_tensor(target),
                        as_tensor(gray[..., None]))
        with tf.compat.v1.Session() as session:
            assert session.run(loss) == pytest.approx(expected, rel=1e-5)
    # Not simply the mean error of either output, nor of the better one per channel.
    assert expected != pytest.approx(np.mean(np.abs(main - target)), rel=1e-3)
    assert expected < np.mean(np.abs(main - target)) + np.mean(np.abs(minor - target))


def smooth_frame(seed: int, size=(32, 48)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.random((size[0] // 8, size[1] // 8))
    return np.kron(coarse, np.ones((8, 8))).astype(np.float32)


def test_the_irt_step_minimises_the_irt_loss_of_the_network_outputs():
    gray = smooth_frame(1)
    target = np.dstack([gray - 0.5, 0.5 - gray]).astype(np.float32) * 2
    with DvpNetwork(8, 2, irt=True, learning_rate=1e-3, seed=3) as network:
        assert network.loss_kinds == ("irt", "warmup")
        main, minor = network.outputs(gray)
        before = network.train_step("irt", gray, target)
        # The loss reported by the training step is the IRT loss of the outputs it trained.
        assert before == pytest.approx(irt_loss_numpy(main, minor, target, gray), rel=1e-4)
        assert network.loss("irt", gray, target) != pytest.approx(before, rel=1e-6)
        for _ in range(30):
            network.train_step("irt", gray, target)
        main, minor = network.outputs(gray)
        after = irt_loss_numpy(main, minor, target, gray)
        assert after < 0.7 * before
        assert network.steps == 31


def test_warmup_loss_weighs_the_minor_output_by_0_9():
    gray = smooth_frame(2)
    target = np.zeros(gray.shape + (3,), np.float32) + 0.3
    with DvpNetwork(4, 3, irt=True, learning_rate=1e-4) as network:
        main, minor = network.outputs(gray)
        expected = np.mean(np.abs(main - target)) + 0.9 * np.mean(np.abs(minor - target))
        assert network.train_step("warmup", gray, target) == pytest.approx(expected, rel=1e-4)


def test_plain_network_has_one_output_and_trains_l1():
    gray = smooth_frame(3)
    with DvpNetwork(4, 3, irt=False, learning_rate=1e-4) as network:
        assert network.loss_kinds == ("l1",)
        prediction = network.predict(gray)
        assert prediction.shape == (32, 48, 3)
        target = np.full_like(prediction, 0.5)
        loss = network.train_step("l1", gray, target)
        assert loss == pytest.approx(np.mean(np.abs(prediction - target)), rel=1e-4)


def test_network_refuses_sizes_that_do_not_pool_evenly():
    with DvpNetwork(4, 2, irt=False, learning_rate=1e-4) as network:
        with pytest.raises(BadInputError, match=r"^network input must be \(H, W\) with H, W "
                                                r"multiples of 16, got \(20, 32\)$"):
            network.predict(np.zeros((20, 32), np.float32))
