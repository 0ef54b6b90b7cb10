"""The project's invariants: the package is what the notebooks export, notebooks are clean, README is index.ipynb."""
import shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_project(tmp_path: Path) -> Path:
    "A copy of what nbdev reads and writes: settings.ini, nbs/ and the package."
    for name in ("settings.ini", "nbs", "mnist_nb"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path


def files(folder: Path, pattern: str) -> dict:
    paths = [p for p in sorted(folder.rglob(pattern)) if ".ipynb_checkpoints" not in p.parts]
    return {p.relative_to(folder): p.read_bytes() for p in paths}


def test_nbdev_export_changes_nothing(tmp_path):
    copy = copy_project(tmp_path)
    subprocess.run(["nbdev_export"], cwd=copy, check=True, capture_output=True)
    assert files(copy / "mnist_nb", "*.py") == files(ROOT / "mnist_nb", "*.py"), "run nbdev_export and commit mnist_nb/"


def test_notebooks_are_clean(tmp_path):
    copy = copy_project(tmp_path)
    subprocess.run(["nbdev_clean"], cwd=copy, check=True, capture_output=True)
    assert files(copy / "nbs", "*.ipynb") == files(ROOT / "nbs", "*.ipynb"), "run nbdev_clean and commit nbs/"


def test_readme_is_generated_from_index():
    result = subprocess.run([sys.executable, ROOT / "tools" / "readme.py", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_ci_runs_the_readme_test_command():
    "The command .ci/run extracts (with its own grep line) is README's one test command."
    readme = (ROOT / "README.md").read_text().splitlines()
    readme_commands = [line for line in readme if line.startswith('pip install -e ".[dev]" &&')]
    assert len(readme_commands) == 1, readme_commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    grep = next(line for line in ci if line.startswith("test_command=$(grep"))
    extracted = subprocess.run(["bash", "-c", grep.split(" || ")[0] + '; printf %s "$test_command"'], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout
    assert extracted == readme_commands[0]


def test_code_lines_fit_in_120_characters():
    "The notebooks' code cells and the modules they export (but for nbdev's own `__all__` line)."
    import json
    long = [f"{nb.name}: {line[:60]}…" for nb in sorted((ROOT / "nbs").glob("*.ipynb"))
            for cell in json.loads(nb.read_text())["cells"] if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if len(line) > 120]
    long += [f"{py.name}: {line[:60]}…" for py in sorted((ROOT / "mnist_nb").glob("*.py")) if py.name != "_modidx.py"
             for line in py.read_text().splitlines() if len(line) > 120 and not line.startswith("__all__ = ")]
    assert not long, "\n".join(long)
