"""Property-based fuzzing (Hypothesis) of what reads untrusted bytes: the IDX and npz readers, and `prepare`.

Each property feeds generated input (random bytes, real files with bytes flipped, cut or inserted, forged headers,
images of every Pillow mode, arrays of any dtype and shape) and asserts the one documented outcome: a result, or the
documented error (`MNISTDataError` for data, `ImageInputError` for images), with a bounded peak of memory. In the
suite each property runs `MNIST_NB_FUZZ_EXAMPLES` examples (default 100, 300 in all); `bench/fuzz.py` runs
thousands and reports what was thrown and what came back, counted per kind (recorded here in `OUTCOMES`)."""
import collections, gzip, io, json, os, re, tracemalloc, zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from mnist_nb.data import MAX_IDX_BYTES, MNISTDataError, NPZ_KEYS, _idx_header, read_idx, read_npz
from mnist_nb.inference import ImageInputError, prepare

EXAMPLES = int(os.environ.get("MNIST_NB_FUZZ_EXAMPLES", 100))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
PEAK_BYTES = 2 * MAX_IDX_BYTES  # the most any one read may allocate: no input here comes near a real MNIST file
BYTES_PER_PIXEL = 64  # `prepare` works on float copies: measured 24 (grey, RGB), 32 (RGBA), up to 48 (odd GIFs)
OUTCOMES = collections.Counter()  # (property, kind of input, outcome) -> how many examples


@pytest.fixture(scope="module", autouse=True)
def report():
    "After the module: the outcomes, written as JSON where `MNIST_NB_FUZZ_REPORT` names a file (bench/fuzz.py)."
    yield
    if os.environ.get("MNIST_NB_FUZZ_REPORT"):
        rows = [{"property": p, "input": k, "outcome": o, "examples": n} for (p, k, o), n in sorted(OUTCOMES.items())]
        Path(os.environ["MNIST_NB_FUZZ_REPORT"]).write_text(json.dumps(rows, indent=1))


def outcome_of(prop: str, kind: str, call, allowed: type, peak_bytes: int = PEAK_BYTES):
    "Run `call()`: record what it gave, fail on any exception but `allowed` or on a peak of memory over `peak_bytes`."
    tracemalloc.start()
    try:
        result, outcome = call(), "accepted"
    except allowed as e:
        result, outcome = e, f"{type(e).__name__}: {_gist(str(e))}"
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    OUTCOMES[(prop, kind, outcome)] += 1
    assert peak <= peak_bytes, (kind, peak, peak_bytes)
    return result


def _gist(message: str) -> str:
    "The kind of an error message: its words after the file name, before any parenthesis, numbers and hashes as N."
    words = re.sub(r"[0-9a-f]{6,}…|\b\d[\d,.]*\b", "N", message.split(": ", 1)[-1].split(" (")[0]).split()
    return " ".join(words[:8])


@pytest.fixture(scope="module")
def labels(mnist) -> bytes:
    "The real t10k-labels IDX file: 10,008 bytes, small enough to mutate thousands of times."
    return _idx_header(mnist["y_test"]) + mnist["y_test"].tobytes()


def mutated(content: bytes, data) -> bytes:
    "`content` with a few random bytes flipped, a random cut, or random bytes inserted."
    how = data.draw(st.sampled_from(["flip", "cut", "insert", "header"]), label="mutation")
    if how == "cut": return content[:data.draw(st.integers(0, len(content) - 1))]
    at = data.draw(st.integers(0, min(len(content) - 1, 64 if how == "header" else len(content) - 1)))
    junk = data.draw(st.binary(min_size=1, max_size=16))
    if how == "insert": return content[:at] + junk + content[at:]
    return content[:at] + junk + content[at + len(junk):]


# ---- IDX files --------------------------------------------------------------------------------------------------------

@FUZZ
@given(data=st.data())
def test_read_idx_gives_the_array_or_mnist_data_error(tmp_path_factory, labels, data):
    kind = data.draw(st.sampled_from(["random bytes", "mutated file", "forged header", "gzip of mutated",
                                      "mutated gzip"]), label="kind")
    if kind == "random bytes": content = data.draw(st.binary(max_size=2048))
    elif kind == "forged header":  # a plausible IDX header (any type, rank and sizes) before a few bytes
        rank = data.draw(st.integers(0, 255))
        sizes = data.draw(st.lists(st.integers(0, 2**32 - 1), min_size=min(rank, 4), max_size=min(rank, 4)))
        content = bytes([0, 0, data.draw(st.integers(0, 255)), rank]) + np.asarray(sizes, ">u4").tobytes() + \
            data.draw(st.binary(max_size=256))
    elif kind == "mutated file": content = mutated(labels, data)
    elif kind == "gzip of mutated": content = gzip.compress(mutated(labels, data), 1)
    else: content = mutated(gzip.compress(labels, 1), data)
    suffix = ".gz" if "gzip" in kind or data.draw(st.booleans(), label="named .gz") else ""
    path = tmp_path_factory.mktemp("idx") / f"t10k-labels-idx1-ubyte{suffix}"
    path.write_bytes(content)
    result = outcome_of("read_idx", kind, lambda: read_idx(path, "t10k-labels-idx1-ubyte"), MNISTDataError)
    if isinstance(result, np.ndarray): assert result.tobytes() == labels[8:]  # accepted only when it is the real file
    else: assert str(path) in str(result)


# ---- npz files --------------------------------------------------------------------------------------------------------

def npz_bytes(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in members.items(): archive.writestr(name, content)
    return out.getvalue()


def npy_header(data) -> bytes:
    "An `.npy` magic string and a header dict that is any text, any dtype or any shape."
    version = data.draw(st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x09"]))
    text = data.draw(st.one_of(
        st.text(max_size=80).map(lambda t: t.encode("utf-8", "replace")),
        st.builds(lambda d, s: repr({"descr": d, "fortran_order": False, "shape": s}).encode(),
                  st.sampled_from(["|u1", "<f8", "|O", "<U3", "V8", "|b1", ">i4", "garbage"]),
                  st.lists(st.integers(-2, 2**62), max_size=4).map(tuple))))
    length = len(text).to_bytes(2 if version == b"\x01\x00" else 4, "little")
    return b"\x93NUMPY" + version + length + text


@FUZZ
@given(data=st.data())
def test_read_npz_gives_the_arrays_or_mnist_data_error(tmp_path_factory, mnist, data):
    kind = data.draw(st.sampled_from(["random bytes", "forged npy headers", "mutated npz", "random members"]),
                     label="kind")
    small = {key: np.asarray(mnist[key][:data.draw(st.integers(0, 50))]) for key in NPZ_KEYS}
    if kind == "random bytes": content = data.draw(st.binary(max_size=2048))
    elif kind == "forged npy headers":
        content = npz_bytes({f"{key}.npy": npy_header(data) + data.draw(st.binary(max_size=64)) for key in NPZ_KEYS})
    elif kind == "mutated npz":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **small) if data.draw(st.booleans()) else np.savez(buffer, **small)
        content = mutated(buffer.getvalue(), data)
    else:
        names = st.sampled_from([*NPZ_KEYS, *(f"{k}.npy" for k in NPZ_KEYS), "other.npy", "../x_train.npy"])
        content = npz_bytes(data.draw(st.dictionaries(names, st.binary(max_size=256), max_size=6)),
                            data.draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])))
    path = tmp_path_factory.mktemp("npz") / "mnist.npz"
    path.write_bytes(content)
    result = outcome_of("read_npz", kind, lambda: read_npz(path), MNISTDataError)
    assert isinstance(result, MNISTDataError) and str(path) in str(result)  # none of these is the published MNIST


# ---- prepare ----------------------------------------------------------------------------------------------------------

MODES = ["1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F", "LA", "PA", "RGBX", "RGBa", "La",
         "I;16", "I;16B", "I;16L"]


@pytest.fixture(scope="module")
def digit_files(mnist) -> list:
    "A real digit as the bytes of a PNG, a JPEG, a 16-bit PNG and a GIF, dark on light paper."
    digit = Image.fromarray(255 - mnist["x_test"][0]).resize((84, 84))
    files = []
    for image, fmt in [(digit, "PNG"), (digit, "JPEG"), (digit.convert("I;16"), "PNG"), (digit, "GIF")]:
        out = io.BytesIO(); image.save(out, fmt); files.append(out.getvalue())
    return files


def pixels_of(source) -> int:
    "How many pixels `source` (an array, a PIL image or a file) has, as far as its header says; 0 if it says nothing."
    if isinstance(source, np.ndarray): return int(np.prod(source.shape[:2])) if source.ndim >= 2 else 0
    try: width, height = source.size if isinstance(source, Image.Image) else Image.open(source).size
    except Exception: return 0
    return width * height


@FUZZ
@given(data=st.data())
def test_prepare_gives_a_28x28_digit_or_image_input_error(tmp_path_factory, digit_files, data):
    kind = data.draw(st.sampled_from(["array", "image of any mode", "random bytes", "mutated image file"]),
                     label="kind")
    if kind == "array":
        dtype = data.draw(st.sampled_from([np.uint8, np.float32, np.float64, np.int64, np.bool_, np.uint16]))
        shape = data.draw(st.lists(st.integers(0, 40), min_size=0, max_size=4).map(tuple))
        values = st.sampled_from([0.0, 0.5, 1.0, -1.0, 2.0, np.nan, np.inf]) if dtype in (np.float32, np.float64) \
            else st.integers(0, 1 if dtype == np.bool_ else 255)
        fill = data.draw(st.lists(values, min_size=1, max_size=8))
        source = np.resize(np.asarray(fill, dtype=dtype), shape)
    elif kind == "image of any mode":
        mode, size = data.draw(st.sampled_from(MODES)), data.draw(st.tuples(st.integers(1, 60), st.integers(1, 60)))
        source = Image.new(mode, size)
        if data.draw(st.booleans()):  # some ink: a random rectangle of another value
            x0, y0 = data.draw(st.integers(0, size[0] - 1)), data.draw(st.integers(0, size[1] - 1))
            ink = Image.new(mode, (size[0] - x0, size[1] - y0), data.draw(st.integers(1, 255)))
            source.paste(ink, (x0, y0))
    else:
        content = data.draw(st.binary(max_size=1024)) if kind == "random bytes" else \
            mutated(data.draw(st.sampled_from(digit_files)), data)
        source = tmp_path_factory.mktemp("image") / data.draw(st.sampled_from(["a.png", "a.jpg", "a.gif", "a.bmp"]))
        source.write_bytes(content)
    result = outcome_of("prepare", kind, lambda: prepare(source), ImageInputError,
                        2**25 + BYTES_PER_PIXEL * pixels_of(source))  # linear in the pixels the image has
    if isinstance(result, np.ndarray):
        assert result.shape == (28, 28) and result.dtype == np.float32 and np.isfinite(result).all()
        assert 0 <= result.min() and result.max() <= 1
    elif isinstance(source, Path): assert str(source) in str(result)  # a file's error names it
