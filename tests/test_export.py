"""Exported models: they answer without mnist_nb, agree with the Keras model, and work from the command line."""
import json, os, subprocess, sys, textwrap
from pathlib import Path

import numpy as np
import pytest

from mnist_nb.data import normalise
from mnist_nb.export import FORMATS, export, load_exported, parity
from mnist_nb.model import probabilities
from mnist_nb.runs import train
from mnist_nb.training import TrainConfig

ENV = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    "A small run with label smoothing (its loss and Adam are mnist_nb classes), exported in every format."
    config = TrainConfig(model="cnn_lenet", n_train=4000, epochs=2, batch_size=128, validation_split=0, patience=None,
                         label_smoothing=0.1)
    run = train(config, tmp_path_factory.mktemp("export") / "run", verbose=0)
    for format in FORMATS: export(run, format)
    return run


WITHOUT_MNIST_NB = textwrap.dedent("""
    import sys
    sys.modules["mnist_nb"] = None  # `import mnist_nb` now fails, as where the package is not installed
    import json
    import numpy as np
    images = np.load(sys.argv[1])
    answers = {}
    import tensorflow as tf
    saved = tf.saved_model.load(sys.argv[2])
    answers["saved_model"] = saved.serve(images).numpy().tolist()
    from ai_edge_litert.interpreter import Interpreter
    for name, path in (("litert", sys.argv[3]), ("litert_int8", sys.argv[4])):
        interpreter = Interpreter(model_path=path)
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, images.shape); interpreter.allocate_tensors()
        interpreter.set_tensor(index, images); interpreter.invoke()
        answers[name] = interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).tolist()
    try:
        import keras; keras.saving.load_model(sys.argv[5]); answers["keras"] = "loaded"
    except Exception as e: answers["keras"] = type(e).__name__
    print(json.dumps(answers))
""")


def test_exports_load_without_mnist_nb(run, mnist, tmp_path):
    "SavedModel and LiteRT files answer in a Python where mnist_nb cannot be imported; the .keras file cannot."
    images = normalise(mnist["x_test"][:50])
    np.save(tmp_path / "images.npy", images)
    paths = [run.run_dir / "export" / FORMATS[f] for f in ("saved_model", "litert", "litert_int8")]
    done = subprocess.run([sys.executable, "-c", WITHOUT_MNIST_NB, tmp_path / "images.npy", *paths,
                           run.run_dir / "model.keras"], capture_output=True, text=True, env=ENV, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.splitlines()[-1])
    assert answers["keras"] == "TypeError"  # its loss and optimizer are mnist_nb's classes: why export exists
    ours = probabilities(run.model, images)
    np.testing.assert_allclose(answers["saved_model"], ours, atol=1e-5)
    np.testing.assert_allclose(answers["litert"], ours, atol=1e-4)
    assert (np.argmax(answers["litert_int8"], 1) == ours.argmax(1)).mean() >= 0.96


def test_parity_on_the_test_set(run, mnist):
    "Float exports agree with Keras on ≥ 99.9 % of the 10,000 test digits; int8 loses ≤ 0.3 points of accuracy."
    x, y = normalise(mnist["x_test"]), mnist["y_test"]
    results = {f: parity(run.model, load_exported(run.run_dir / "export" / name), x, y) for f, name in FORMATS.items()}
    assert results["saved_model"]["agreement"] >= 0.999 and results["litert"]["agreement"] >= 0.999, results
    int8 = results["litert_int8"]
    assert int8["exported_accuracy"] >= int8["keras_accuracy"] - 0.003, results
    assert int8["keras_accuracy"] > 0.9, results


def test_export_refuses_an_earlier_export_and_replaces_it_whole_when_asked(run):
    """Exporting again onto an earlier export is refused and leaves it as it was; with overwrite=True it is replaced,
    and no temporary file or folder stays beside it."""
    folder = run.run_dir / "export"
    before = (folder / FORMATS["litert"]).read_bytes()
    with pytest.raises(FileExistsError, match="model.tflite: exists already"): export(run, "litert")
    assert (folder / FORMATS["litert"]).read_bytes() == before
    assert export(run, "litert", overwrite=True) == folder / FORMATS["litert"]
    export(run, "saved_model", overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FORMATS.values())
    assert (folder / FORMATS["litert"]).read_bytes() == before  # the same model converts to the same bytes


def mnist_nb(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["mnist_nb", *map(str, args)], capture_output=True, text=True, env=ENV, timeout=300)


def test_cli_export_then_predict(run, mnist, tmp_path):
    "`mnist_nb export` writes and checks the file; `mnist_nb predict --run model.tflite` answers as the run does."
    from PIL import Image
    output = tmp_path / "digits.tflite"
    done = mnist_nb("export", run.run_dir, "--format", "litert_int8", "--output", output, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["path"] == str(output) and result["bytes"] == output.stat().st_size and result["agreement"] > 0.99
    for i in range(4): Image.fromarray(255 - mnist["x_test"][i]).resize((140, 140)).save(tmp_path / f"d{i}.png")
    answers = {}
    for model in (output, run.run_dir):
        done = mnist_nb("predict", "--run", model, *(tmp_path / f"d{i}.png" for i in range(4)), "--json")
        assert done.returncode == 0, done.stderr
        answers[model] = [a["digit"] for a in json.loads(done.stdout)]
    assert answers[output] == answers[run.run_dir] == mnist["y_test"][:4].tolist()


@pytest.mark.parametrize("args, message", [
    (["export", "RUN", "--format", "onnx"], "invalid choice: 'onnx'"),
    (["export", "no/such/run"], "no/such/run: "),
    (["predict", "--run", "BAD.tflite", "IMAGE"], "BAD.tflite: not a LiteRT model"),
    (["predict", "--run", "EMPTY_DIR", "IMAGE"], "no model found"),
])
def test_cli_export_bad_input(run, tmp_path, args, message):
    "Bad input to `export`, or a bad exported model for `--run`: exit code 2 and the reason."
    (tmp_path / "BAD.tflite").write_bytes(b"\x00" * 64)
    (tmp_path / "EMPTY_DIR").mkdir()
    from PIL import Image
    Image.new("L", (50, 50), 255).save(tmp_path / "IMAGE.png")
    names = {"RUN": run.run_dir, "BAD.tflite": tmp_path / "BAD.tflite", "EMPTY_DIR": tmp_path / "EMPTY_DIR",
             "IMAGE": tmp_path / "IMAGE.png"}
    done = mnist_nb(*(names.get(a, a) for a in args))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
