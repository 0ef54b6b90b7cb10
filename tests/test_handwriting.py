"""A stranger's handwriting: the USPS benchmark's pieces on small real samples, and the shipped model as a user meets
it, through the real console script, from an editable install and from a built wheel in a clean virtual environment."""
import json, os, subprocess, sys, venv
from pathlib import Path

import numpy as np
import pytest

from mnist_nb.inference import DEFAULT_MODEL
from test_cli import ENV, mnist_nb

ROOT = Path(__file__).resolve().parent.parent
needs_usps = pytest.mark.skipif(not os.environ.get("MNIST_NB_USPS"), reason="MNIST_NB_USPS is not set")


@pytest.fixture(scope="module")
def usps():
    from mnist_nb.handwriting import load_usps
    return load_usps()


@needs_usps
def test_usps_is_verified(usps, tmp_path):
    from mnist_nb.handwriting import load_usps
    x, y = usps
    assert (x.shape, x.dtype, y.shape, np.bincount(y)[0]) == ((7291, 16, 16), np.uint8, (7291,), 1194)
    np.savez(tmp_path / "usps-train.npz", x=x, y=np.roll(y, 1))
    with pytest.raises(ValueError, match="array 'y' is not the published USPS"):
        load_usps(tmp_path)
    with pytest.raises(FileNotFoundError, match="no USPS digits"):
        load_usps(tmp_path / "elsewhere")


@needs_usps
def test_the_shipped_model_reads_a_strangers_handwriting(usps):
    "300 USPS digits per family through the real renderers, preparation and shipped model: the benchmark in small."
    from mnist_nb.handwriting import foreign_benchmark
    from mnist_nb.inference import load_model
    pick = np.random.default_rng(5).choice(len(usps[0]), 300, replace=False)
    families = ("as_is", "photo", "drawn_thin_white_on_transparent", "drawn_bold_black_on_white")
    results = foreign_benchmark(load_model(), usps[0][pick], usps[1][pick], families)
    assert results["as_is"]["accuracy"] >= 0.98, results
    assert min(r["accuracy"] for r in results.values()) >= 0.93, results
    assert all(r["refused"] == 0 for r in results.values()), results


def test_the_shipped_model_is_small_and_loads_in_keras_safe_mode(tmp_path):
    "Keras alone loads it once mnist_nb has registered its layer (`Standardize`); nothing unsafe is needed."
    assert DEFAULT_MODEL.stat().st_size <= 5_000_000
    info = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    assert info["mnist_test_accuracy"] > 0.99
    assert [member["recipe"] for member in info["members"]] == ["robust_strided", "robust_bn"]
    code = f"import keras, mnist_nb.model; print(keras.saving.load_model({str(DEFAULT_MODEL)!r}, safe_mode=True).count_params())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert result.returncode == 0 and int(result.stdout.split()[-1]) == info["params"], result.stderr
    assert "mnist_nb" not in result.stderr


def write_digit(mnist, folder: Path) -> Path:
    from mnist_nb.images import render_on_canvas
    folder.mkdir(exist_ok=True)
    render_on_canvas(mnist["x_test"][0], (240, 320)).convert("RGB").save(folder / "my_digit.jpg")
    return folder / "my_digit.jpg"


def test_predict_needs_no_run(tmp_path, mnist):
    "Right after installing: no run directory anywhere, the shipped model answers."
    photo = write_digit(mnist, tmp_path)
    result = mnist_nb("predict", photo, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)
    assert answer["digit"] == mnist["y_test"][0] and answer["unsure"] is False and answer["probability"] > 0.8
    assert not (tmp_path / "runs").exists()


def test_a_built_wheel_carries_the_shipped_model(tmp_path, mnist):
    "Build the wheel, install it (no dependencies) into a fresh virtual environment, predict from outside the repo."
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT], check=True,
                   capture_output=True)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # TensorFlow & co. come from this interpreter's site-packages, added after the venv's own (a path, so no editable
    # install's finder runs there); mnist_nb comes from the wheel
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "outer.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", *wheels.glob("mnist_nb-*.whl")], check=True,
                   capture_output=True)
    photo = write_digit(mnist, tmp_path / "photos")
    code = ("import mnist_nb, sys; from mnist_nb.cli import main; print(mnist_nb.__file__); "
            f"sys.exit(main(['predict', {str(photo)!r}, '--json']))")
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path / "photos")
    assert result.returncode == 0, result.stderr
    location, answers = result.stdout.split("\n", 1)
    assert location.startswith(str(env_dir)), location  # the wheel's copy, not the repository's
    assert json.loads(answers)[0]["digit"] == mnist["y_test"][0]
