"""Runs survive interruption: a fit checkpointed in a folder goes on, after Ctrl-C, to the uninterrupted result."""
import keras
import numpy as np
import pytest

from mnist_nb.runs import CHECKPOINT, TENSORBOARD_LOGS, _fit_resumably, _read_checkpoint, _state_variables, resume, \
    train
from mnist_nb.training import TrainConfig, model_for, set_seed, split_validation


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
    return model, _fit_resumably(model, x, y, config, folder, 0, list(callbacks))


@pytest.mark.parametrize("config", [
    TrainConfig(model="cnn_lenet", n_train=1200, epochs=3, batch_size=64, augment=True, writers=True, patience=1,
                learning_rate=0.003, schedule="one_cycle", label_smoothing=0.1, seed=5),
    TrainConfig(model="cnn_bn", n_train=600, epochs=3, batch_size=64, patience=None,
                validation_split=0, seed=6),
], ids=["augmented-pipeline", "batch-norm-no-validation"])
def test_an_interrupted_fit_goes_on_to_the_uninterrupted_result(mnist, tmp_path, config):
    """Interrupted after its first epoch and fitted again by a fresh model into the same folder, a run ends with the
    weights (optimizer, schedule step, batch-norm statistics and dropout's random state included) and history of the
    run that was never interrupted, to the bit: on the augmented source (the epoch-keyed pipeline) too."""
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
