"""The fast path of `fit` computes what the seed's `model.fit` computes: same batches, same steps, same history."""
import math

import keras
import numpy as np
import pytest

from mnist_nb.data import normalise
from mnist_nb.model import FusedAdam
from mnist_nb.training import CHECKPOINT, TrainConfig, _read_checkpoint, _state_variables, fit, model_for, set_seed, \
    split_validation


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
    "EarlyStopping and CSVLogger see the fast path's epoch logs: a patience of 0 stops at the first worse val_loss."
    config = TrainConfig(n_train=1500, epochs=30, patience=0, seed=0, learning_rate=0.05)
    x, y = mnist["x_train"][:config.n_train], mnist["y_train"][:config.n_train]
    set_seed(config.seed)
    history = fit(model_for(config, 1200), x, y, config, tmp_path, verbose=0).history
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


class InterruptAt(keras.callbacks.Callback):
    "Raise `KeyboardInterrupt` at the end of epoch `epoch` (counted from 0), as Ctrl-C would."
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch: raise KeyboardInterrupt


def fitted(config, x, y, folder, callbacks=()):
    "A fresh model for `config`, fitted into `folder` (going on from a checkpoint there), and its history."
    set_seed(config.seed)
    model = model_for(config, len(split_validation(x, y, config.validation_split)[0][0]))
    return model, fit(model, x, y, config, folder, verbose=0, callbacks=callbacks).history


@pytest.mark.parametrize("config", [
    TrainConfig(model="cnn_lenet", n_train=1200, epochs=3, batch_size=64, augment=True, writers=True, patience=1,
                learning_rate=0.003, schedule="one_cycle", label_smoothing=0.1, seed=5),
    TrainConfig(model="cnn_bn", n_train=600, epochs=3, batch_size=64, patience=None,
                validation_split=0, seed=6),
], ids=["augmented-through-model.fit", "batch-norm-no-validation"])
def test_an_interrupted_fit_goes_on_to_the_uninterrupted_result(mnist, tmp_path, config):
    """Interrupted after its first epoch and fitted again by a fresh model into the same folder, a run ends with the
    weights (optimizer, schedule step, batch-norm statistics and dropout's random state included) and history of the
    run that was never interrupted, to the bit: on the augmented path (`model.fit` on the epoch-keyed pipeline) too."""
    x, y = mnist["x_train"][:config.n_train], mnist["y_train"][:config.n_train]
    model, history = fitted(config, x, y, tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        fitted(config, x, y, tmp_path / "cut", [InterruptAt(1)])
    assert _read_checkpoint(tmp_path / "cut" / CHECKPOINT)[1]["epochs"] == 1
    resumed, resumed_history = fitted(config, x, y, tmp_path / "cut")
    assert resumed_history == history and len(history["loss"]) == config.epochs
    for ours, theirs in zip(_state_variables(model), _state_variables(resumed)):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=ours.path)
    assert (tmp_path / "cut" / "history.csv").read_text() == (tmp_path / "whole" / "history.csv").read_text()


def test_a_run_stopped_early_stays_stopped_when_resumed(mnist, tmp_path):
    "A checkpoint written when early stopping ended the run: fitting again trains no further epoch."
    config = TrainConfig(n_train=1500, epochs=30, patience=0, seed=0, learning_rate=0.05)
    x, y = mnist["x_train"][:config.n_train], mnist["y_train"][:config.n_train]
    _, history = fitted(config, x, y, tmp_path)
    assert len(history["loss"]) < config.epochs and _read_checkpoint(tmp_path / CHECKPOINT)[1]["stopped"]
    _, again = fitted(config, x, y, tmp_path)
    assert again == history


def tensorboard_series(logs, which: str = "train", tag: str = "epoch_loss") -> dict:
    "{epoch: value} of a scalar in a run's TensorBoard logs (a later event for an epoch replaces an earlier one)."
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(logs / which), size_guidance={"tensors": 0})
    events.Reload()
    return {e.step: float(tf.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)}


def test_a_run_writes_its_curves_for_tensorboard_and_a_resumed_one_too(mnist, tmp_path):
    "train() logs each epoch's loss for TensorBoard, equal to its history; a run resumed after Ctrl-C logs the same."
    from mnist_nb.training import TENSORBOARD_LOGS, resume, train
    config = TrainConfig(n_train=2000, epochs=3, seed=2)
    whole = train(config, tmp_path / "whole", verbose=0)
    series = tensorboard_series(whole.run_dir / TENSORBOARD_LOGS)
    assert list(series) == [0, 1, 2]
    np.testing.assert_allclose(list(series.values()), whole.history["loss"], rtol=1e-6)
    assert list(tensorboard_series(whole.run_dir / TENSORBOARD_LOGS, "validation").values()) == \
        pytest.approx(whole.history["val_loss"], rel=1e-6)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "cut", verbose=0, callbacks=[InterruptAt(2)])
    resumed = resume(tmp_path / "cut", verbose=0)
    assert resumed.history == whole.history
    assert tensorboard_series(resumed.run_dir / TENSORBOARD_LOGS) == pytest.approx(series, rel=1e-6)
