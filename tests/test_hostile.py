"""Hostile input through the real command line (`mnist_nb.cli.main`, in this process): every case must end with exit
code 2 and exactly one line on stderr that names the thing and what was expected; never a traceback, never exit 0."""
import gzip, io, json, struct, zipfile, zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_nb.cli import main
from mnist_nb.data import MAX_IDX_BYTES, NPZ_KEYS
from mnist_nb.inference import DEFAULT_MODEL
from test_data import write_idx_dir


def file(path: Path, content: bytes | str = b"") -> Path:
    "`path`, written with `content`."
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return path


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def npy(array_header: dict, payload: bytes) -> bytes:
    "The bytes of an `.npy` file with the header `array_header` (descr, fortran_order, shape) and `payload`."
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, array_header)
    return out.getvalue() + payload


def npz(folder: Path, members: dict, compression=zipfile.ZIP_STORED) -> Path:
    "An `mnist.npz` in `folder` holding `members` (name -> bytes)."
    with zipfile.ZipFile(folder / "mnist.npz", "w", compression) as archive:
        for name, content in members.items(): archive.writestr(name, content)
    return folder / "mnist.npz"


def idx_dir(folder: Path, mnist, name: str, content: bytes) -> Path:
    "The four MNIST files, gzipped, in `folder`, with the file `name` replaced by `content`."
    write_idx_dir(folder, mnist, compress=True)
    (folder / f"{name}.gz").write_bytes(content)
    return folder


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    "A small PNG whose header claims `width` × `height` grey pixels (its pixel data: a few compressed rows)."
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(bytes(3 * (width + 1)))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def png_with_text_bomb(image: Image.Image) -> bytes:
    "A PNG of `image` with a zTXt chunk before its pixels whose text inflates to 64 MB (a 1 GB one reads the same)."
    png = png_bytes(image)
    bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(2**26), 9))
    return png[:33] + bomb + png[33:]  # after the signature and IHDR


def keras_bomb(path: Path) -> Path:
    "A `.keras` file whose config.json inflates to 64 MB (of spaces, a few hundred kB compressed)."
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "{" + " " * 2**26 + "}")
    return path


def a_run(folder: Path, **broken: str) -> Path:
    "A run directory whose files are the real kinds, except those given in `broken` (file name -> its text)."
    from mnist_nb.training import TrainConfig
    folder.mkdir()
    files = {"config.json": json.dumps(asdict(TrainConfig())), "metrics.json": json.dumps({"test_accuracy": 0.9}),
             "history.csv": "epoch,loss\n0,0.5\n", "model.keras": "not a zip"}
    for name, text in (files | {name.replace("_", "."): text for name, text in broken.items()}).items():
        (folder / name).write_text(text)
    return folder


def photo_of(digit: np.ndarray) -> Image.Image:
    "An MNIST digit as dark ink on white paper, 112 × 112 pixels."
    return Image.fromarray(255 - digit).resize((112, 112))


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# (kind, id, make(tmp_path, mnist) -> argv, the text the one error line must contain)
CASES = [
    # the data readers: broken, disguised and bomb files where MNIST should be
    ("reader", "gzip-header-then-garbage", lambda t, m: ["train", "--data-dir", idx_dir(
        t, m, NPZ_KEYS["y_test"], gzip.compress(b"x" * 100)[:12] + b"garbage" * 100)], "cannot read"),
    ("reader", "gzip-bomb", lambda t, m: ["train", "--data-dir", idx_dir(
        t, m, NPZ_KEYS["x_train"], gzip.compress(bytes(MAX_IDX_BYTES + 1000), 1))], "bytes inflated"),
    ("reader", "npy-named-npz", lambda t, m: ["train", "--data-dir", file(t / "mnist.npz", npy_bytes(m["y_test"]))],
     "cannot read it as an .npz file (BadZipFile"),
    ("reader", "npz-absurd-shape", lambda t, m: ["train", "--data-dir", npz(t, {"x_train.npy": npy(
        {"descr": "|u1", "fortran_order": False, "shape": (10**9, 10**9)}, b"\0" * 9)})], "but 9 bytes follow"),
    ("reader", "npz-zip-bomb", lambda t, m: ["train", "--data-dir", npz(t, {"x_train.npy": bytes(MAX_IDX_BYTES + 5000)},
                                                                         zipfile.ZIP_DEFLATED)],
     "(no MNIST array is larger)"),
    ("reader", "npz-malformed-header", lambda t, m: ["train", "--data-dir", npz(t, {
        "x_train.npy": b"\x93NUMPY\x01\x00" + struct.pack("<H", 20) + b"{'descr': (((((,}  \n"})],
     "not a readable .npy array"),
    ("reader", "npz-float-array", lambda t, m: ["train", "--data-dir", npz(t, {"y_test.npy": npy(
        {"descr": "<f8", "fortran_order": False, "shape": (2,)}, bytes(16))})], "expected uint8"),
    ("reader", "npz-larger-than-mnist", lambda t, m: ["train", "--data-dir", file(t / "mnist.npz", bytes(60_000_000))],
     "expected at most 56,014,960"),
    ("reader", "npz-missing-arrays", lambda t, m: ["train", "--data-dir", npz(t, {"x_train.npy": npy(
        {"descr": "|u1", "fortran_order": False, "shape": (1,)}, b"\0")})], "array 'y_train' missing"),
    ("reader", "text-as-npz", lambda t, m: ["train", "--data-dir", file(t / "mnist.npz", "hello")],
     "cannot read it as an .npz"),
    ("reader", "no-such-folder", lambda t, m: ["train", "--data-dir", t / "none"], "no such folder"),
    # images given to predict and read
    ("image", "png-claiming-10-gigapixels", lambda t, m: ["predict", file(t / "big.png", png_claiming(10**5, 10**5))],
     "too large an image"),
    ("image", "empty-file", lambda t, m: ["predict", file(t / "empty.png")], "empty.png: not an image"),
    ("image", "one-pixel", lambda t, m: ["predict", file(t / "dot.png", png_bytes(Image.new("L", (1, 1))))],
     "dot.png: blank image"),
    ("image", "blank-among-good", lambda t, m: ["predict", file(t / "a.png", png_bytes(photo_of(m["x_test"][0]))),
                                                file(t / "b.png", png_bytes(Image.new("RGB", (64, 64), "white")))],
     "b.png: blank image"),
    ("image", "read-a-text-file", lambda t, m: ["read", file(t / "n.jpg", "1234")], "n.jpg: not an image"),
    ("image", "empty-folder", lambda t, m: ["predict", t], "no image files in this directory"),
    ("image", "png-text-bomb-among-good", lambda t, m: ["predict", file(t / "a.png", png_bytes(photo_of(m["x_test"][0]))),
                                                        file(t / "text.png", png_with_text_bomb(photo_of(m["x_test"][1])))],
     "text.png: cannot open (Decompressed data too large"),
    ("image", "png-claiming-120-megapixels", lambda t, m: ["read", file(t / "wide.png", png_claiming(12_000, 10_000))],
     "wide.png: 12000×10000 pixels is too large"),  # and no warning of Pillow's on a second line
    # arguments and the environment
    ("argument", "learning-rate-negative", lambda t, m: ["train", "--learning-rate", "-1"], "learning_rate: expected"),
    ("argument", "learning-rate-nan", lambda t, m: ["train", "--learning-rate", "nan"], "learning_rate: expected"),
    ("argument", "learning-rate-inf-schedule", lambda t, m: ["train", "--learning-rate", "0", "--schedule", "cosine"],
     "learning_rate: expected"),
    ("argument", "batch-size-zero", lambda t, m: ["train", "--batch-size", "0"], "batch_size: expected a positive"),
    ("argument", "validation-split-nan", lambda t, m: ["train", "--validation-split", "nan"], "validation_split"),
    ("argument", "label-smoothing-one", lambda t, m: ["train", "--label-smoothing", "1"], "label_smoothing"),
    ("argument", "beta-above-one", lambda t, m: ["train", "--beta-2", "1.5"], "beta_2: expected a number in [0, 1)"),
    ("argument", "model-kwargs-unknown", lambda t, m: ["train", "--model-kwargs", '{"width": 3}'],
     "expected arguments of seed_mlp"),
    ("argument", "model-kwargs-not-a-dict", lambda t, m: ["train", "--model-kwargs", "[1, 2]"],
     "model_kwargs: expected a dict"),
    ("argument", "learning-rate-inf", lambda t, m: ["train", "--learning-rate", "inf"],
     "learning_rate: expected a finite number"),
    ("argument", "n-train-one", lambda t, m: ["train", "--n-train", "1"],
     "n_train: expected at least 2 images, to leave one to fit on after validation_split 0.2, got 1"),
    ("argument", "model-kwargs-not-json", lambda t, m: ["train", "--model-kwargs", "{bad"],
     "argument --model-kwargs: expected JSON such as '{\"units\": 256}', got '{bad'"),
    ("argument", "unknown-option", lambda t, m: ["train", "--learning-rte", "0.1"],
     "unrecognized arguments: --learning-rte 0.1 (see mnist_nb train --help)"),
    ("argument", "export-format-onnx", lambda t, m: ["export", t, "--format", "onnx"],
     "argument --format: invalid choice: 'onnx'"),
    ("argument", "predict-without-images", lambda t, m: ["predict"], "the following arguments are required: images"),
    ("argument", "unknown-recipe", lambda t, m: ["train", "--recipe", "fastest"], "recipe: expected one of"),
    ("argument", "unknown-distribution", lambda t, m: ["train", "--distribution", "horovod"],
     "distribution: expected None or one of mirrored, multiworker, tpu"),
    ("environment", "multiworker-without-tf-config", lambda t, m: ["train", "--distribution", "multiworker",
                                                                   "--run-dir", t / "run"], "TF_CONFIG is not set"),
    ("argument", "resume-nothing", lambda t, m: ["train", "--resume", t / "none"], "no interrupted run there"),
    ("argument", "resume-with-options", lambda t, m: ["train", "--resume", t, "--epochs", "3"],
     "--resume: expected no other options"),
    ("argument", "top-k-zero", lambda t, m: ["predict", "--top-k", "0", t], "--top-k: expected 1 to 10"),
    ("environment", "run-dir-under-a-file", lambda t, m: ["train", "--n-train", "100", "--run-dir",
                                                          file(t / "file") / "run"], "run.partial: Not a directory"),
    ("environment", "run-dir-where-nothing-can-be-made", lambda t, m: ["train", "--n-train", "100", "--run-dir",
                                                                       "/proc/mnist_nb/run"], "No such file"),
    ("environment", "run-dir-exists", lambda t, m: ["train", "--n-train", "100", "--run-dir", t],
     "run directory exists already"),
    ("environment", "runs-of-a-file", lambda t, m: ["runs", file(t / "f")], "no such folder"),
    # runs that are not what they claim
    ("run", "evaluate-a-folder-that-is-no-run", lambda t, m: ["evaluate", t], "not a complete run directory"),
    ("run", "evaluate-corrupt-model", lambda t, m: ["evaluate", a_run(t / "r")], "not a readable run"),
    ("run", "evaluate-corrupt-config", lambda t, m: ["evaluate", a_run(t / "r", config_json="{")],
     "not a readable run (JSONDecodeError"),
    ("run", "evaluate-unknown-config-key", lambda t, m: ["evaluate", a_run(t / "r", config_json='{"gpu": 1}')],
     "unknown keys ['gpu'] (expected keys of this version's TrainConfig: model, model_kwargs,"),
    ("run", "evaluate-corrupt-history", lambda t, m: ["evaluate", a_run(t / "r", history_csv="epoch,loss\n0,x\n")],
     "not a readable run"),
    ("run", "predict-with-a-corrupt-model", lambda t, m: ["predict", "--run", file(t / "m.keras", "x"), t],
     "m.keras: cannot load the model (not a .keras model file"),
    ("run", "predict-with-a-truncated-model", lambda t, m: ["predict", "--run", file(t / "cut.keras",
                                                            DEFAULT_MODEL.read_bytes()[:100_000]), t],
     "cut.keras: cannot load the model (not a .keras model file"),
    ("run", "predict-with-a-model-bomb", lambda t, m: ["predict", "--run", keras_bomb(t / "bomb.keras"), t],
     "bomb.keras: cannot load the model (its archive inflates to 67,108,868 bytes, config.json 67,108,866"),
    ("run", "evaluate-a-run-whose-model-is-a-bomb", lambda t, m: ["evaluate", keras_bomb(a_run(t / "r") / "model.keras")
                                                                  .parent], "config.json 67,108,866 (expected at most"),
]


@pytest.mark.parametrize("kind, make, expected", [(kind, make, expected) for kind, _, make, expected in CASES],
                         ids=[f"{kind}:{name}" for kind, name, _, _ in CASES])
def test_hostile_input_is_exit_2_and_one_line(tmp_path, mnist, capsys, kind, make, expected):
    argv = [str(arg) for arg in make(tmp_path, mnist)]
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith(f"mnist_nb {argv[0]}: error: ") and expected in lines[0], err


def test_a_blank_page_among_good_ones_still_gets_the_good_ones_answered(tmp_path, mnist, capsys):
    for i in range(3): photo_of(mnist["x_test"][i]).save(tmp_path / f"{i}.png")
    Image.new("L", (80, 80), 250).save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("a shopping list")
    assert main(["predict", str(tmp_path), "--json"]) == 2
    out, err = capsys.readouterr()
    answers = {Path(a["image"]).name: a for a in json.loads(out)}
    assert [answers[f"{i}.png"]["digit"] for i in range(3)] == mnist["y_test"][:3].tolist()
    assert answers["blank.png"] == {"image": str(tmp_path / "blank.png"), "error": "blank image: no ink found "
                                    "(expected a digit darker or lighter than its background)"}
    assert "not an image" in answers["notes.png"]["error"] and len(err.strip().splitlines()) == 2
    assert main(["predict", str(tmp_path)]) == 2
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 6 and sum("error: " in row for row in table) == 2
