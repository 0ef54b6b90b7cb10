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


def _anchors(notebook: Path) -> set:
    "The anchors of a notebook's headings, as GitHub and Quarto make them: lower case, spaces to hyphens."
    import json, re
    headings = [line.lstrip("#").strip() for cell in json.loads(notebook.read_text())["cells"]
                if cell["cell_type"] == "markdown" for line in "".join(cell["source"]).splitlines()
                if line.startswith("#")]
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_links_work_from_index_on_github_and_from_readme():
    """Every relative link of nbs/index.ipynb leads somewhere from nbs/ (as GitHub shows the notebook), every one of
    README.md from the root (tools/readme.py rewrites them), and a link to a chapter's section finds its heading."""
    import json, re
    index = "".join("".join(c["source"]) for c in json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"]
                    if c["cell_type"] == "markdown")
    for text, folder in ((index, ROOT / "nbs"), ((ROOT / "README.md").read_text(), ROOT)):
        links = [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"\w+:", link)]
        assert len(links) > 10, links
        for link in links:
            path, _, anchor = link.partition("#")
            assert (folder / path).exists(), f"{folder.name}: {link}"
            if anchor: assert anchor in _anchors(folder / path), f"{folder.name}: {link}"


def test_each_chapter_installs_only_what_it_needs_in_colab():
    """Each notebook's Colab cell installs the package alone (the app's and the export's extras in their chapters),
    and again when an earlier install failed; no chapter pulls in the test extras or nbdev's showdoc to run."""
    import json, re
    extras = {"09_app": {"app"}, "10_export": {"export"}}
    for notebook in sorted((ROOT / "nbs").glob("*.ipynb")):
        cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        colab = next((c for c in cells if '"google.colab" in sys.modules' in c), None)
        assert colab, f"{notebook.name}: no Colab install cell"
        installed = re.search(r'"pip", "install", "-q", (.+?)\], check=True', colab).group(1)
        assert set(re.findall(r"\[(\w+)\]", installed)) == extras.get(notebook.stem, set()), notebook.name
        assert "returncode" in colab, f"{notebook.name}: a failed install is not retried"
        assert not any("nbdev.showdoc" in c for c in cells), notebook.name


def test_chapters_import_tensorflow_quietly():
    "Every chapter whose module imports TensorFlow imports it first through `mnist_nb.import_tensorflow()`."
    import json, re
    for notebook in sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb")):
        cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
        module = ROOT / "mnist_nb" / (next(c for c in cells if "default_exp" in c).split()[-1] + ".py")
        if re.search(r"^import (tensorflow|keras)\b", module.read_text(), re.M):  # at the top: as the chapter runs
            setup = next(c for c in cells if '"google.colab" in sys.modules' in c)
            assert "mnist_nb.import_tensorflow()" in setup, notebook.name


def test_readme_quotes_the_shipped_models_measured_figures():
    "README's sentence on the shipped model gives the figures of default.json (which the model card also gives)."
    import json
    from mnist_nb.handwriting import photo_and_drawn
    info = json.loads((ROOT / "mnist_nb" / "models" / "default.json").read_text())
    readme = " ".join((ROOT / "README.md").read_text().split())
    together = photo_and_drawn(info["usps"])[0]
    expected = (f"{info['mnist_test_accuracy']:.2%} on MNIST's test set; on the 7,291 USPS digits, written by other "
                f"people, {info['usps']['as_is']['accuracy']:.2%} as scanned and {together:.2%} as photos and drawings")
    assert expected.replace("%", " %") in readme
    assert f"{together:.2%}" in (ROOT / "mnist_nb" / "models" / "MODEL_CARD.md").read_text()


def test_the_notebooks_weigh_at_most_1_5_mb_and_none_over_600_kb():
    "Outputs that teach, not bulk: figures stored small (`python tools/figures.py`), no chapter over 600 kB."
    sizes = {p.name: p.stat().st_size for p in sorted((ROOT / "nbs").glob("*.ipynb"))}
    assert sum(sizes.values()) <= 1_500_000, sizes
    assert max(sizes.values()) <= 600_000, sizes
