"""Your own digits through the real `mnist_nb predict` and `mnist_nb runs`: photos of MNIST digits, and bad input."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_nb.images import render_on_canvas
from test_cli import mnist_nb


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    "A quick-recipe model (cnn_lenet) trained through the console script on 20,000 digits, two epochs (about 5 s)."
    runs_dir = tmp_path_factory.mktemp("runs")
    result = mnist_nb("train", "--recipe", "quick", "--n-train", 20000, "--epochs", 2, "--run-dir", runs_dir / "quick",
                      "--quiet")
    assert result.returncode == 0, result.stderr
    return runs_dir / "quick"


@pytest.fixture(scope="module")
def photos(tmp_path_factory, mnist):
    "400 MNIST test digits as large photos: dark ink on light paper, shifted, scaled, grey/RGB/RGBA, PNG and JPEG."
    folder, rng = tmp_path_factory.mktemp("photos"), np.random.default_rng(1)
    for i in range(400):
        mode, suffix = [("L", ".png"), ("RGB", ".jpg"), ("RGBA", ".png"), ("L", ".jpg")][i % 4]
        size = tuple(int(s) for s in rng.integers(120, 900, 2))
        scale, offset = rng.uniform(2.5, min(size) / 40), tuple(rng.uniform(0, 1, 2))
        image = render_on_canvas(mnist["x_test"][i], size, scale, offset, mode)
        image.save(folder / f"{i:03d}{suffix}")
    return folder


def test_photos_are_recognised_like_the_original_digits(quick_run, photos, mnist):
    result = mnist_nb("predict", "--run", quick_run, photos, "--json")
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [Path(a["image"]).stem for a in answers] == [f"{i:03d}" for i in range(400)]
    from mnist_nb.inference import load_model
    from mnist_nb.data import normalise
    reference = load_model(quick_run).predict(normalise(mnist["x_test"][:400]), verbose=0).argmax(axis=1)
    agreement = np.mean([a["digit"] for a in answers] == reference)
    assert agreement >= 0.95, agreement
    assert all(abs(sum(t["probability"] for t in a["top"]) - 1) < 0.5 for a in answers)
    assert all(a["top"][0]["digit"] == a["digit"] for a in answers)


def test_predict_table(quick_run, photos):
    result = mnist_nb("predict", "--run", quick_run / "model.keras", photos / "000.png", photos / "001.jpg",
                      "--top-k", 2)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["image", "digit", "probability", "top", "2"] and len(lines) == 3
    assert lines[1].startswith(str(photos / "000.png"))


def not_an_image(folder: Path) -> Path:
    (folder / "notes.png").write_text("a shopping list")
    return folder / "notes.png"

def blank(folder: Path) -> Path:
    Image.new("L", (300, 200), 240).save(folder / "blank.png")
    return folder / "blank.png"

def huge(folder: Path) -> Path:
    Image.new("L", (8000, 7000), 255).save(folder / "huge.png")
    return folder / "huge.png"

def truncated(folder: Path) -> Path:
    path = blank(folder).rename(folder / "cut.png")
    path.write_bytes(path.read_bytes()[:300])
    return path


@pytest.mark.parametrize("make, expected", [(not_an_image, "notes.png: not an image"),
                                            (blank, "blank image: no ink found"),
                                            (huge, "8000×7000 pixels is too large"),
                                            (truncated, "cut.png: unreadable image data")])
def test_bad_images_exit_2_with_one_line(tmp_path, quick_run, make, expected):
    result = mnist_nb("predict", "--run", quick_run, make(tmp_path))
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("mnist_nb predict: error: ") and expected in last and "Traceback" not in result.stderr


def test_a_failing_command_prints_exactly_its_error_line(tmp_path, quick_run):
    "No TensorFlow start-up messages: stderr is the one line that says what was wrong, unless --verbose asks for more."
    image = not_an_image(tmp_path)
    result = mnist_nb("predict", "--run", quick_run, image)
    assert (result.returncode, result.stdout) == (2, "")
    expected = "not an image (expected PNG, JPEG, BMP or another format Pillow reads)"
    assert result.stderr == f"mnist_nb predict: error: {image}: {expected}\n"
    verbose = mnist_nb("predict", "--run", quick_run, image, "--verbose")
    assert verbose.returncode == 2 and verbose.stderr.endswith(result.stderr)
    assert len(verbose.stderr.splitlines()) > 1, verbose.stderr  # TensorFlow's start-up lines (a CPU-only machine)


def test_missing_model_and_empty_folder_exit_2(tmp_path, quick_run, photos):
    result = mnist_nb("predict", "--run", tmp_path / "nothing", photos / "000.png")
    assert result.returncode == 2 and "no model found (expected a run directory or a .keras file)" in result.stderr
    result = mnist_nb("predict", "--run", quick_run, tmp_path)
    assert result.returncode == 2 and "no image files in this directory" in result.stderr
    assert mnist_nb("predict", photos / "000.png", "--run").returncode == 2  # --run without its value: usage


def test_runs_lists_finished_and_unfinished_runs(quick_run):
    unfinished = quick_run.parent / "killed.partial"
    unfinished.mkdir()
    result = mnist_nb("runs", quick_run.parent)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    accuracy = json.loads((quick_run / "metrics.json").read_text())["test_accuracy"]
    assert lines[0].split() == ["run", "model", "epochs", "test", "accuracy"]
    assert lines[1].split() == [str(unfinished), "-", "0", "unfinished", "(training,", "or", "interrupted)"]
    assert lines[2].split() == [str(quick_run), "cnn_lenet", "2", f"{accuracy:.2%}"]
    assert mnist_nb("runs", quick_run.parent / "none").returncode == 2


def test_runs_lists_unreadable_runs_without_losing_the_others(quick_run, tmp_path):
    "A run whose metrics.json is `{}`, or is not JSON, gets its own line; the good run is still listed."
    runs = tmp_path / "runs"
    good, empty, garbled = runs / "a-good", runs / "b-empty", runs / "c-garbled"
    for run_dir in (good, empty, garbled):
        run_dir.mkdir(parents=True)
        for name in ("config.json", "metrics.json"): (run_dir / name).write_bytes((quick_run / name).read_bytes())
    (empty / "metrics.json").write_text("{}")
    (garbled / "metrics.json").write_bytes(b"\xff\x00 not json")
    result = mnist_nb("runs", runs)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == [str(good), "cnn_lenet", "2"]
    assert lines[2].split()[:4] == [str(empty), "-", "-", "unreadable"] and "'epochs'" in lines[2]
    assert lines[3].split()[:4] == [str(garbled), "-", "-", "unreadable"]


def test_a_16_bit_png_and_a_float_tiff_are_read_like_their_8_bit_twin(quick_run, tmp_path, mnist):
    """A real digit saved as a 16-bit greyscale PNG, or as a TIFF of floats in [0, 1], is not 'blank': it gets the
    8-bit PNG's answer and probability."""
    photo = render_on_canvas(mnist["x_test"][0], (300, 400), 6.0, (0.3, 0.6), "L")
    photo.save(tmp_path / "eight.png")
    sixteen = Image.fromarray(np.asarray(photo, np.uint16) * 257)
    sixteen.save(tmp_path / "sixteen.png")
    assert Image.open(tmp_path / "sixteen.png").mode.startswith("I")  # Pillow really wrote 16 bits
    Image.fromarray(np.asarray(photo, np.float32) / 255).save(tmp_path / "floats.tif")
    assert Image.open(tmp_path / "floats.tif").mode == "F"            # and 32-bit floats
    result = mnist_nb("predict", "--run", quick_run, tmp_path / "eight.png", tmp_path / "sixteen.png",
                      tmp_path / "floats.tif", "--json")
    assert result.returncode == 0, result.stderr
    eight, *others = json.loads(result.stdout)
    for other in others:
        assert eight["digit"] == other["digit"] == mnist["y_test"][0]
        assert abs(eight["probability"] - other["probability"]) < 1e-4
