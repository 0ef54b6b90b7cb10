"""The private Keras and Gradio behaviour the package relies on, each used in one small function: these tests fail
when a release changes it, before a user meets the change."""
import keras
import numpy as np
import pytest
from PIL import UnidentifiedImageError

from mnist_nb.data import normalise
from mnist_nb.model import FusedAdam, _adam_slots, seed_mlp
from mnist_nb.training import TrainConfig, _build_for_training, _scaled, model_for, set_seed


def test_adam_slots_are_the_moments_keras_adam_updates():
    "After one step of Keras's own Adam with gradient g: the slots `_adam_slots` finds hold 0.1·g and 0.001·g²."
    variable = keras.Variable(np.zeros(5, np.float32))
    adam = keras.optimizers.Adam(learning_rate=0.001)
    gradient = np.array([1.0, -2.0, 0.5, 0.0, 3.0], np.float32)
    adam.apply_gradients([(gradient, variable)])
    m, v = _adam_slots(adam, variable)
    np.testing.assert_allclose(m.numpy(), 0.1 * gradient, rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), 0.001 * gradient ** 2, rtol=1e-6)
    assert any(m is slot for slot in adam.variables) and any(v is slot for slot in adam.variables)


def test_fused_adam_updates_the_slots_keras_saves(tmp_path, mnist):
    "FusedAdam writes its moments into Keras's own slot variables: a saved and reloaded optimizer holds them."
    set_seed(0)
    model = seed_mlp()
    model.compile(optimizer=FusedAdam(), loss="sparse_categorical_crossentropy")
    model.fit(normalise(mnist["x_train"][:64]), mnist["y_train"][:64], batch_size=32, epochs=1, verbose=0)
    first = model.layers[1].kernel
    m, _ = _adam_slots(model.optimizer, first)
    assert float(np.abs(m.numpy()).sum()) > 0
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(_adam_slots(reloaded.optimizer, reloaded.layers[1].kernel)[0].numpy(), m.numpy())


def test_build_for_training_builds_what_the_loop_steps_need(mnist):
    "A compiled, unbuilt model: after `_build_for_training` its optimizer has its slots and its metrics their names."
    config = TrainConfig()
    model = model_for(config, 100)
    assert not model.optimizer.built
    x, y = mnist["x_train"][:2], mnist["y_train"][:2]
    _build_for_training(model, (_scaled(x[:1]), y[:1]))
    assert model.optimizer.built and len(model.optimizer.variables) > len(model.trainable_variables)
    assert set(model.get_metrics_result()) == {"loss", "accuracy"}
    model.train_step((_scaled(x), y))  # the step runs on what was built
    assert model.optimizer.iterations.numpy() == 1


@pytest.fixture(scope="module")
def gradio():
    return pytest.importorskip("gradio")


def test_gradio_image_preprocess_is_where_an_unreadable_upload_fails(gradio, tmp_path):
    """Gradio's `Image.preprocess` opens the upload with Pillow and raises Pillow's error (which the page would show
    as a bare "Error"); wrapped by `_refusing_unreadable`, the same upload is refused in one line that names it."""
    from gradio.data_classes import FileData
    from mnist_nb.app import _refusing_unreadable
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    upload = FileData(path=str(notes), orig_name="notes.png")
    plain = gradio.Image(type="filepath", image_mode=None)
    with pytest.raises(UnidentifiedImageError):
        plain.preprocess(upload)
    wrapped = _refusing_unreadable(gradio.Image(type="filepath", image_mode=None))
    with pytest.raises(gradio.Error) as refused:
        wrapped.preprocess(upload)
    assert str(refused.value.message).startswith("notes.png: not an image we can read (expected PNG, JPEG")


def test_gradio_blocks_list_the_apps_public_api_names(gradio):
    "`_public_api_names` reads Gradio's `Blocks.fns`: the app's two API names, and none of the page's own events."
    from mnist_nb.app import _public_api_names, build_app
    assert _public_api_names(build_app(seed_mlp())) == {"predict", "read_number"}
