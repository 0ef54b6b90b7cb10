"""The front door: `import mnist_nb` is light, its everyday names resolve, README's Python workflow runs as printed."""
import dataclasses, re, subprocess, sys
from pathlib import Path

import mnist_nb
from mnist_nb.images import render_on_canvas

ROOT = Path(__file__).resolve().parent.parent


def loads_tensorflow(code: str) -> bool:
    "Whether running `code` in a fresh interpreter imports TensorFlow."
    check = f"{code}\nimport sys; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    return result.stdout.split()[-1] == "True"


def test_import_and_help_load_no_tensorflow():
    assert not loads_tensorflow("import mnist_nb")
    assert not loads_tensorflow("import contextlib, mnist_nb.cli as cli\n"
                                "with contextlib.suppress(SystemExit): cli.main(['--help'])")
    assert loads_tensorflow("from mnist_nb import train")  # the first everyday name that needs it loads it


def test_every_public_name_resolves_to_its_chapter():
    assert set(mnist_nb.__all__) >= {"train", "RECIPES", "TrainConfig", "evaluate_run", "predict", "load_run"}
    assert set(mnist_nb.__all__) == {*mnist_nb._MODULE_OF, "import_tensorflow"}  # and the one defined here
    for name in mnist_nb._MODULE_OF:
        value = getattr(mnist_nb, name)
        assert getattr(sys.modules[f"mnist_nb.{mnist_nb._MODULE_OF[name]}"], name) is value
        assert name in dir(mnist_nb)
    try:
        mnist_nb.no_such_name
    except AttributeError as e:
        assert "module 'mnist_nb' has no attribute 'no_such_name'" in str(e)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_readme_workflow_runs_as_printed(tmp_path, monkeypatch, mnist):
    "README's Python block, verbatim, with the recipe it names shortened to 12,000 images and two epochs (~10 s)."
    block = re.search(r"```python\n(from mnist_nb import .*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    assert block.count("\n") == 4, block  # the three-line workflow under its import
    monkeypatch.chdir(tmp_path)
    recipe = re.search(r'RECIPES\["(\w+)"\]', block).group(1)
    short = dataclasses.replace(mnist_nb.RECIPES[recipe], n_train=12000, epochs=2)
    monkeypatch.setitem(mnist_nb.RECIPES, recipe, short)
    render_on_canvas(mnist["x_test"][0], (300, 240)).convert("RGB").save("my_digit.jpg")
    namespace = {}
    exec(block.replace("evaluate_run(run).accuracy", "accuracy = evaluate_run(run).accuracy")
              .replace('predict("my_digit.jpg", run.model)', 'answer = predict("my_digit.jpg", run.model)'), namespace)
    run, accuracy, answer = namespace["run"], namespace["accuracy"], namespace["answer"]
    assert run.run_dir.parent == Path("runs") and (run.run_dir / "model.keras").is_file()
    assert 0.9 < accuracy <= 1 and (run.run_dir / "confusion.png").is_file()
    assert type(answer).__name__ == "Prediction" and answer.source == "my_digit.jpg" and 0 <= answer.digit <= 9
