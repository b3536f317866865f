"""Training the head from cached encoder features: same loss as from the photos, round trip."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from algorithms.cnn.bins import quarter_ab
from algorithms.cnn.feature_cache import FeatureCache, FeatureEncoder, build_cache
from algorithms.cnn.train import Batch, FeatureBatch, Trainer
from algorithms.errors import BadInputError
from tests.test_efficientnet import TINY_PTH, _tiny_arch


def _setup(rng):
    from colorize_app.io.model_files import load_encoder_weights

    arch = _tiny_arch(bins=9)
    bins = np.array([[a, b] for a in (-40, 0, 40) for b in (-40, 0, 40)], np.float32)
    encoder = load_encoder_weights(TINY_PTH, arch.encoder)
    return arch, bins, encoder


def _crops(rng, count=4, size=64):
    lightness = rng.uniform(10, 90, (count, size, size)).astype(np.float32)
    ab = rng.uniform(-50, 50, (count, size, size, 2)).astype(np.float32)
    return Batch(lightness, ab)


def test_one_step_from_cached_features_has_the_loss_of_a_step_on_the_photos(rng):
    arch, bins, encoder = _setup(rng)
    weights = rng.uniform(0.5, 2.0, len(bins))
    crops = _crops(rng)
    with FeatureEncoder(encoder, arch.encoder, threads=2) as feature_encoder:
        features = feature_encoder.features(crops.lightness)
    cached = FeatureBatch([f.astype(np.float16) for f in features],
                          quarter_ab(crops.ab.astype(np.float64)).astype(np.float16))
    exact = FeatureBatch(features, quarter_ab(crops.ab.astype(np.float64)))
    with Trainer(arch, bins, weights, 1e-3, 10, seed=4, threads=2,
                 encoder_weights=encoder) as from_photos, \
            Trainer(arch, bins, weights, 1e-3, 10, seed=4, threads=2, encoder_weights=encoder,
                    from_features=True) as from_cache:
        photo_losses = [from_photos.train_step(crops) for _ in range(2)]
        # float32 features: the very same numbers, so the same loss before and after a step.
        cache_losses = [from_cache.train_step(exact) for _ in range(2)]
        np.testing.assert_allclose(cache_losses, photo_losses, rtol=1e-4)
        # float16 storage moves the loss by far less than a training step does.
        exact_loss, _ = from_cache.evaluate_features(exact)
        half_loss, _ = from_cache.evaluate_features(cached)
        assert abs(half_loss - exact_loss) < 0.01 < abs(photo_losses[1] - photo_losses[0])
        exported = from_cache.network_weights()
    # The exported model holds the encoder too, unchanged.
    for name, value in encoder.items():
        np.testing.assert_array_equal(exported[name], value)
    assert "head/logits/weights" in exported


@pytest.mark.parametrize("start, points", [(3, [2]), (5, [2, 3, 4]), (0, [-1])])
def test_one_fine_tuning_step_from_cached_lower_blocks_has_the_loss_of_a_step_on_the_photos(
        rng, start, points):
    from algorithms.cnn.efficientnet import cache_points

    arch, bins, encoder = _setup(rng)
    # The tiny encoder taps its features after blocks 2, 3, 5 and 7 (of 8).
    assert cache_points(arch.encoder, start) == points
    weights = rng.uniform(0.5, 2.0, len(bins))
    crops = _crops(rng)
    with FeatureEncoder(encoder, arch.encoder, threads=2, start=start) as lower:
        outputs = lower.features(crops.lightness)
    assert [o.shape[1] for o in outputs] == [64 // s for s in lower.strides()]
    exact = FeatureBatch(outputs, quarter_ab(crops.ab.astype(np.float64)))
    options = {"seed": 4, "threads": 2, "encoder_weights": encoder, "finetune_from": start,
               "finetune_lr": 1e-3}
    with Trainer(arch, bins, weights, 1e-3, 10, **options) as from_photos, \
            Trainer(arch, bins, weights, 1e-3, 10, from_features=True, **options) as from_cache:
        photo_losses = [from_photos.train_step(crops) for _ in range(2)]
        cache_losses = [from_cache.train_step(exact) for _ in range(2)]
        # Before the step and after it: the upper blocks moved the same way in both.
        np.testing.assert_allclose(cache_losses, photo_losses, rtol=1e-5)
        assert abs(photo_losses[1] - photo_losses[0]) > 1e-3
        photo_weights, cache_weights = from_photos.network_weights(), from_cache.network_weights()
    assert sorted(cache_weights) == sorted(photo_weights)
    for name, value in photo_weights.items():
        np.testing.assert_allclose(cache_weights[name], value, rtol=1e-4, atol=1e-6)
    # The cached (frozen) blocks are exported unchanged, the fine-tuned ones moved.
    np.testing.assert_array_equal(cache_weights["encoder/stem/weights"],
                                  encoder["encoder/stem/weights"])
    assert not np.allclose(cache_weights["encoder/block7/project/weights"],
                           encoder["encoder/block7/project/weights"])


def test_a_model_to_start_from_fills_the_cached_blocks_too(rng):
    arch, bins, encoder = _setup(rng)
    other = {k: v + 1.0 for k, v in encoder.items()}
    with Trainer(arch, bins, np.ones(len(bins)), 1e-3, 10, threads=2, encoder_weights=encoder,
                 finetune_from=5, from_features=True) as trainer:
        trainer.load_network(other)
        exported = trainer.network_weights()
    for name in ("encoder/stem/weights", "encoder/block4/project/weights",
                 "encoder/block6/project/weights"):
        np.testing.assert_array_equal(exported[name], other[name])


def test_cache_holds_every_view_of_every_photo_and_round_trips(rng):
    arch, _, encoder = _setup(rng)
    photos = [rng.integers(0, 256, (70, 90, 3), dtype=np.uint8) for _ in range(3)]
    with FeatureEncoder(encoder, arch.encoder, threads=2) as feature_encoder:
        cache = build_cache(feature_encoder, photos, 32, 2, np.random.default_rng(0))
    assert len(cache) == 6
    assert [f.shape[1] for f in cache.features] == [8, 4, 2, 1]
    assert cache.ab_quarter.shape == (6, 8, 8, 2)
    assert list(cache.photo_index) == [0, 0, 1, 1, 2, 2]
    again = FeatureCache.from_arrays(cache.arrays(), arch.encoder)
    np.testing.assert_array_equal(again.features[2], cache.features[2])
    # Every crop comes once per epoch.
    batches = cache.batches(3, np.random.default_rng(1))
    seen = np.concatenate([next(batches).ab_quarter for _ in range(2)])
    assert sorted(seen[:, 0, 0, 0].tolist()) == sorted(cache.ab_quarter[:, 0, 0, 0].tolist())


def test_a_cache_of_another_encoder_is_refused(rng):
    arch, _, _ = _setup(rng)
    arrays = {f"features{i}": np.zeros((2, 4, 4, 3), np.float16) for i in range(4)}
    arrays.update(ab_quarter=np.zeros((2, 4, 4, 2), np.float16), photo_index=np.zeros(2))
    with pytest.raises(BadInputError, match="does not match the encoder"):
        FeatureCache.from_arrays(arrays, arch.encoder)
    # A cache of the whole encoder's features is not one of block 2's output.
    with FeatureEncoder(_setup(rng)[2], arch.encoder, threads=2) as whole:
        cache = build_cache(whole, [np.zeros((64, 64, 3), np.uint8)], 32, 1, rng)
    with pytest.raises(BadInputError, match="does not match the encoder"):
        FeatureCache.from_arrays(cache.arrays(), arch.encoder, start=3)


def test_crops_must_fit_the_coarsest_stride(rng):
    arch, _, encoder = _setup(rng)
    with FeatureEncoder(encoder, arch.encoder, threads=2) as feature_encoder:
        with pytest.raises(BadInputError, match="multiple of 32"):
            build_cache(feature_encoder, [np.zeros((64, 64, 3), np.uint8)], 48, 1, rng)
