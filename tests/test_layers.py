"""The package's layers: which module uses which, drawn in README from the imports, in the book's order, loading
nothing a reader of digits does not need."""
import ast, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import layers  # noqa: E402  (tools/layers.py)


def test_readme_shows_the_layers_the_imports_make():
    "The Mermaid diagram in nbs/index.ipynb and README.md is what tools/layers.py draws from the modules now."
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "layers.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert layers.mermaid() in (ROOT / "README.md").read_text()
    assert "images -->" not in layers.mermaid()  # the synthetic images stand on nothing of the package


def test_each_chapter_uses_only_chapters_before_it():
    "The book's order is the dependency order: every import goes back in the book, the CLI's included."
    order = list(layers.chapters())
    assert order[-1] == "cli"
    later = [(module, used) for module, uses in layers.graph().items() for used in uses
             if order.index(used) > order.index(module)]
    assert not later, later
    assert set(layers.graph()["whole_numbers"]) == {"images", "inference", "model"}


def test_no_module_imports_another_modules_private_names():
    "Between modules only public names: `from mnist_nb.x import _y` is for tests."
    private = []
    for path in sorted((ROOT / "mnist_nb").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("mnist_nb")):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not private, private


def loaded(*statements: str) -> list:
    "The modules a fresh interpreter holds after running each of `statements`, one after the other."
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    show = "print(' '.join(sorted(sys.modules)))"
    code = "\n".join(["import sys", *(f"{statement}\n{show}" for statement in statements)])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return [set(line.split()) for line in done.stdout.splitlines()[-len(statements):]]


HEAVY = {"mnist_nb.training", "mnist_nb.evaluation", "mnist_nb.runs", "seaborn"}


def test_reading_digits_loads_no_training_evaluation_pandas_or_seaborn():
    """`import mnist_nb.whole_numbers` and `import mnist_nb.app` load neither the training nor the evaluation
    chapters nor seaborn; pandas only where Keras (and for the app, Gradio) import it themselves when it is
    installed: `import keras` alone loads it (keras/src/trainers/data_adapters/array_slicing.py), and
    `import gradio` alone too (gradio/caching.py): the package adds neither to what they load.
    One interpreter, each import after the library it stands on (an import the next one repeats costs nothing)."""
    keras, whole_numbers, gradio, app = loaded("import keras", "import mnist_nb.whole_numbers", "import gradio",
                                               "import mnist_nb.app")
    assert "mnist_nb.whole_numbers" in whole_numbers and "mnist_nb.app" in app
    assert not whole_numbers & HEAVY and not app & HEAVY, app & HEAVY
    for ours, theirs in ((whole_numbers, keras), (app, gradio)):
        added = {name.split(".")[0] for name in ours - theirs}
        assert "pandas" not in added and "seaborn" not in added, added


def test_the_command_line_reads_a_number_without_the_evaluation_chapter(tmp_path, mnist):
    "`mnist_nb read` on a real photo of a number: the answer, and no evaluation chapter, pandas' users or seaborn."
    from mnist_nb.images import compose_number, photograph
    import numpy as np
    rng = np.random.default_rng(0)
    photograph(compose_number(mnist["x_test"][:3], [0.3, 0.3], rng), rng).save(tmp_path / "number.jpg")
    [modules] = loaded(f"from mnist_nb.cli import main\nassert main(['read', {str(tmp_path / 'number.jpg')!r}]) == 0")
    assert "mnist_nb.whole_numbers" in modules
    assert not modules & {"mnist_nb.evaluation", "mnist_nb.handwriting", "seaborn"}


def test_package_code_reads_at_100_columns():
    "At least 95 % of the package's lines fit in 100 characters (nbdev's generated `__all__` lines counted too)."
    lines = [line for path in sorted((ROOT / "mnist_nb").glob("*.py")) if path.name != "_modidx.py"
             for line in path.read_text().splitlines()]
    within = sum(len(line) <= 100 for line in lines) / len(lines)
    assert within >= 0.95, f"{within:.1%} of {len(lines)} lines within 100 characters"
