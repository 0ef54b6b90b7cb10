"""Real life's inputs through the real console script: a phone photo (huge, turned by EXIF), a user's folder in the way
of an export, a training that diverges, a full disk. Nothing lost, nothing unbounded, nothing sideways."""
import json, resource, subprocess, sys, textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageOps

from mnist_nb.images import phone_photo
from mnist_nb.inference import DEFAULT_MODEL
from mnist_nb.images import render_on_canvas
from test_cli import ENV, mnist_nb

STORED = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,  # how a camera stores the pixels
          4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,  # of an
          7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}  # upright photo, for each EXIF orientation


def oriented(photo: Image.Image, folder: Path, stem: str) -> list:
    "`photo` saved eight times as a camera would store it, once for each EXIF orientation: the files."
    files = []
    for orientation, turn in STORED.items():
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        stored = photo if turn is None else photo.transpose(turn)
        files.append(folder / f"{stem}-{orientation}.jpg")
        stored.save(files[-1], exif=exif, quality=95)
        upright = ImageOps.exif_transpose(Image.open(files[-1]))  # Pillow's own reading of the tag: the fixture is right
        assert upright.size == photo.size and np.abs(np.asarray(upright, float) - np.asarray(photo, float)).mean() < 4
    return files


@pytest.fixture(scope="module")
def turned(tmp_path_factory, mnist):
    "A 6 and a 7 (MNIST test digits) as photos, each stored in all eight EXIF orientations: (files, label) each."
    folder = tmp_path_factory.mktemp("turned")
    labels = mnist["y_test"].tolist()
    six, seven = labels.index(6), labels.index(7)
    return [(oriented(render_on_canvas(mnist["x_test"][i], (320, 260), 7, (0.4, 0.5), "RGB"), folder, f"d{i}"),
             labels[i]) for i in (six, seven)]


def test_every_exif_orientation_gives_the_upright_answer(turned):
    "A 6 stored upside down (Orientation 3) is a 6, not a 9; a 7 stored sideways (6) is a 7, not a 2: all eight ways."
    files = [file for group, _ in turned for file in group]
    result = mnist_nb("predict", *files, "--json")
    assert result.returncode == 0, result.stderr
    answers = [a["digit"] for a in json.loads(result.stdout)]
    assert answers == [label for _, label in turned for _ in range(8)], answers
    read = mnist_nb("read", *turned[0][0], "--json")
    assert read.returncode == 0, read.stderr
    numbers = json.loads(read.stdout)
    assert [n["number"] for n in numbers] == ["6"] * 8
    width, height = Image.open(turned[0][0][0]).size
    for n in numbers:  # each box lies in the upright photo, in its pixels
        left, top, right, bottom = n["digits"][0]["box"]
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, n


MEASURE = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    from mnist_nb.inference import ImageInputError, prepare
    status = lambda key: int(re.search(key + r":\\s+(\\d+)", Path("/proc/self/status").read_text())[1]) / 1024
    prepare(sys.argv[1])                                      # a small photo first: the process's own memory
    answers, above = [], []
    for path in sys.argv[2:]:
        Path("/proc/self/clear_refs").write_text("5")          # the peak (VmHWM, ru_maxrss's source) reset to now
        before = status("VmRSS")
        try: answers.append(prepare(path).tolist())
        except ImageInputError as e: answers.append(str(e))
        above.append(status("VmHWM") - before)
    print(json.dumps({"above_mb": above, "answers": answers}))
""")


def test_a_12_megapixel_phone_photo_is_prepared_in_bounded_memory(tmp_path, mnist):
    """A real 4032 × 3024 JPEG of a 7 written with a 2-pixel pen, and an all-white 7000 × 7000 PNG, in a fresh
    process: ≤ 300 MB above the process's own (before: 5.4 GB for a 1600 × 1600 one, and MemoryError at 12 MP)."""
    rng = np.random.default_rng(0)
    phone_photo(mnist["x_test"][0], rng, (3024, 4032), pen=2).save(tmp_path / "phone.jpg", quality=90)
    Image.new("L", (7000, 7000), 255).save(tmp_path / "white.png")
    render_on_canvas(mnist["x_test"][1]).save(tmp_path / "small.png")
    done = subprocess.run([sys.executable, "-c", MEASURE, tmp_path / "small.png", tmp_path / "phone.jpg",
                           tmp_path / "white.png"], capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.splitlines()[-1])
    assert max(measured["above_mb"]) <= 300, measured["above_mb"]
    phone, white = measured["answers"]
    from mnist_nb.inference import load_model
    from mnist_nb.model import probabilities
    assert probabilities(load_model(), np.array([phone])).argmax() == mnist["y_test"][0]
    assert white.endswith("white.png: blank image: no ink found (expected a digit darker or lighter than its "
                          "background)"), white


@pytest.fixture
def users_folder(tmp_path) -> Path:
    "A folder of the user's, holding their thesis."
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("four years of work")
    return tmp_path / "mine"


def test_export_never_deletes_what_stands_at_its_output(users_folder, capsys):
    """`export --output` onto the current folder (the console script, in it), a folder of the user's, a folder named
    like a .tflite (with --overwrite too): refused in one line, exit 2, and every file of the user's is still there."""
    (users_folder / "folder.tflite").mkdir()
    (users_folder / "folder.tflite" / "notes.txt").write_text("mine too")
    export = ["export", str(DEFAULT_MODEL), "--format", "saved_model", "--no-check", "--output"]
    done = subprocess.run(["mnist_nb", *export, "."], capture_output=True, text=True, env=ENV, timeout=300,
                          cwd=users_folder)
    assert (done.returncode, done.stderr) == (2, "mnist_nb export: error: .: exists already (expected a new path; "
                                                 "overwrite=True, or --overwrite, replaces an earlier export)\n")
    from mnist_nb.cli import main
    for target in (users_folder, users_folder / "folder.tflite"):
        capsys.readouterr()
        assert main([*export, str(target), "--overwrite"]) == 2
        assert capsys.readouterr().err == (f"mnist_nb export: error: {target}: a folder that is not a SavedModel, "
                                           "never replaced (expected a new path, or an earlier export)\n")
    assert (users_folder / "thesis.txt").read_text() == "four years of work"
    assert (users_folder / "folder.tflite" / "notes.txt").read_text() == "mine too"
    assert sorted(p.name for p in users_folder.iterdir()) == ["folder.tflite", "thesis.txt"]  # nothing left over


def test_a_diverging_training_ends_with_one_line_and_no_run(tmp_path):
    "A learning rate of 10³⁰ turns the loss into NaN in the first epoch: exit 2, one line, no run directory at all."
    run_dir = tmp_path / "nan"
    done = mnist_nb("train", "--n-train", 200, "--epochs", 2, "--learning-rate", "1e30", "--run-dir", run_dir)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"mnist_nb train: error: {run_dir}: training diverged in epoch 1: its loss is "
                                        "nan (expected a finite loss; a lower learning rate may help); no run saved"]
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_names_the_file_it_could_not_write(tmp_path):
    "Writing past a file-size limit (as a full disk stops a write: the OS says why, not which file) names the file."
    run_dir = tmp_path / "run"
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))  # Python ignores SIGXFSZ
    done = subprocess.run(["mnist_nb", "train", "--n-train", "200", "--epochs", "1", "--run-dir", str(run_dir)],
                          capture_output=True, text=True, env=ENV, timeout=300, preexec_fn=limit)
    assert done.returncode == 2, done.stderr
    line, = done.stderr.splitlines()
    assert line.startswith(f"mnist_nb train: error: {run_dir}.partial/") and "File too large" in line, line
    assert list(tmp_path.iterdir()) == []  # nothing to go on from, nothing half-written
