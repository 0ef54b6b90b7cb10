"""The one epoch loop of `fit` computes what the seed's `model.fit` computes: same batches, same steps, same history."""
import math

import keras
import numpy as np
import pytest

from mnist_nb.data import normalise
from mnist_nb.model import FusedAdam
from mnist_nb.runs import _fit_resumably
from mnist_nb.training import TrainConfig, fit, model_for, set_seed, split_validation


def plain_fit(model, x, y, config):
    """The seed's `model.fit` on scaled arrays, given the fast path's batch order: one `model.fit` call per epoch on the
    training images in that order (`shuffle=False`), validated on the held-out images as Keras does."""
    (x_fit, y_fit), (x_val, y_val) = split_validation(normalise(x), y, config.validation_split)
    orders, history = np.random.default_rng(config.seed), {}
    for _ in range(config.epochs):
        order = orders.permutation(len(x_fit))
        epoch = model.fit(x_fit[order], y_fit[order], batch_size=config.batch_size, epochs=1, shuffle=False,
                          validation_data=(x_val, y_val), verbose=0).history
        for name, values in epoch.items(): history.setdefault(name, []).extend(values)
    return history


@pytest.mark.parametrize("model", ["seed_mlp", "cnn_lenet"])
def test_fast_path_gives_model_fits_history(mnist, model):
    """Same seed, same batches: the histories agree to float32 rounding. They cannot agree to the bit: the compiled
    epoch loop and Keras's per-step function are different TensorFlow graphs, and their kernels may sum the same
    numbers in a different order (observed differences: the 7th significant digit)."""
    config = TrainConfig(model=model, n_train=2000, epochs=3, batch_size=50, patience=None, seed=3)
    x, y = mnist["x_train"][:config.n_train], mnist["y_train"][:config.n_train]
    n_fit = len(split_validation(x, y, config.validation_split)[0][0])
    set_seed(config.seed)
    fast = fit(model_for(config, n_fit), x, y, config, verbose=0).history
    set_seed(config.seed)
    plain = plain_fit(model_for(config, n_fit), x, y, config)
    assert sorted(fast) == sorted(plain) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for name in plain:
        np.testing.assert_allclose(fast[name], plain[name], rtol=1e-5, err_msg=name)
    assert plain["loss"][-1] < plain["loss"][0]  # it learned: the comparison is not between two untrained models


def test_fast_path_stops_early_and_logs_like_model_fit(mnist, tmp_path):
    """EarlyStopping sees the loop's epoch logs (a patience of 0 stops at the first worse val_loss), and so does the
    run's checkpoint, which writes each epoch into history.csv (CSVLogger did, before the loop was one)."""
    config = TrainConfig(n_train=1500, epochs=30, patience=0, seed=0, learning_rate=0.05)
    x, y = mnist["x_train"][:config.n_train], mnist["y_train"][:config.n_train]
    set_seed(config.seed)
    history = _fit_resumably(model_for(config, 1200), x, y, config, tmp_path, 0, [])
    epochs = len(history["val_loss"])
    assert epochs < config.epochs and history["val_loss"][-1] >= min(history["val_loss"][:-1])
    assert len((tmp_path / "history.csv").read_text().splitlines()) == epochs + 1


def test_scaling_in_the_graph_is_normalise_bit_for_bit(mnist):
    "uint8 images given to fit are scaled batch by batch exactly as `normalise` scales them."
    from mnist_nb.training import _scaled
    pixels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(_scaled(pixels).numpy(), normalise(pixels))


def test_fused_adam_matches_keras_adam_on_a_real_step(mnist):
    "One training step of the seed MLP from the same weights: FusedAdam's weights equal Keras Adam's to rounding."
    x, y = normalise(mnist["x_train"][:256]), mnist["y_train"][:256]
    weights = []
    for optimizer in (FusedAdam(), keras.optimizers.Adam()):
        set_seed(0)
        model = model_for(TrainConfig(), 256)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for fused, plain in zip(*weights):
        np.testing.assert_allclose(fused, plain, rtol=1e-4, atol=1e-6)
    assert not math.isclose(float(np.abs(weights[0][0]).sum()), 0.0)
