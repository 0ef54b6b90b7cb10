"""Whole numbers read by the shipped row reader: touching digits, boxes where the digits are, leading zeros, rows of
any length, a large photo as its small twin; the row reader's recipe through the console script; bad input."""
import json, os, subprocess

import numpy as np
import pytest
from PIL import Image

from mnist_nb.inference import ImageInputError
from mnist_nb.images import compose_number
from mnist_nb.whole_numbers import _reading, as_row, best_path, read_number

ENV = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}


@pytest.fixture(scope="module")
def test_digits(mnist):
    return mnist["x_test"], mnist["y_test"]


def one_piece(row: np.ndarray) -> bool:
    "Whether the ink of `row` is one connected piece (its digits truly touch)."
    from scipy import ndimage
    return ndimage.label(row > 30, structure=np.ones((3, 3)))[1] == 1


def test_touching_digits_are_read(test_digits):
    "Pairs of test digits that truly merge into one piece of ink: the rule-based cutter read about half of them."
    x, y = test_digits
    rng, rows = np.random.default_rng(0), []
    for i in range(0, 200, 2):
        row = compose_number(x[[i, i + 1]], [-0.08], rng)
        if one_piece(row): rows.append((row, f"{y[i]}{y[i + 1]}"))
    assert len(rows) >= 40, len(rows)
    read = [(_reading(row, None), text) for row, text in rows]   # None: refused, a miss
    right = sum(got == text for got, text in read)
    assert right >= 0.85 * len(rows), (right, len(rows), [r for r in read if r[0] != r[1]])


def test_a_well_spaced_number_gives_each_digit_its_box_in_reading_order(test_digits):
    x, y = test_digits
    row = compose_number(x[:6], [0.4] * 5, np.random.default_rng(1))
    number = read_number(row)
    assert number.text == "".join(map(str, y[:6]))
    lefts = [box[0] for box in number.boxes]
    assert lefts == sorted(lefts) and all(box[2] > box[0] and box[3] > box[1] for box in number.boxes)
    ink_columns = np.flatnonzero((row > 30).any(0))
    assert number.boxes[0][0] >= ink_columns[0] - 3 and number.boxes[-1][2] <= ink_columns[-1] + 4
    # each box holds its own digit's middle: the digits are 0.4 of the height apart, so no box reaches the next one's
    starts = [c for c in ink_columns if c - 1 not in ink_columns]
    ends = [c for c in ink_columns if c + 1 not in ink_columns]
    for (left, _, right, _), a, b in zip(number.boxes, starts, ends):
        assert left <= (a + b) / 2 <= right, (number.boxes, starts, ends)
    assert number.inputs.shape == (6, 28, 28) and 0 < number.probability <= min(d.probability for d in number.digits)
    assert number.columns.shape == (number.row.shape[1] // 4 - 2, 12)    # a column per 4 pixels, less the two ends


def test_leading_zeros_are_kept(test_digits):
    x, y = test_digits
    zeros = [i for i in range(100) if y[i] == 0][:2]
    others = [i for i in range(100) if y[i] not in (0, 1)][:2]
    number = read_number(255 - compose_number(x[zeros + others], [0.35] * 3, np.random.default_rng(2)))
    assert number.text == "00" + "".join(map(str, y[others]))


def test_a_long_row_has_no_maximum(test_digits):
    "Twelve digits, more than the reader ever trained on (8): read whole."
    x, y = test_digits
    number = read_number(255 - compose_number(x[20:32], [0.35] * 11, np.random.default_rng(3)))
    expected = "".join(map(str, y[20:32]))
    assert len(number.text) == 12 and sum(a == b for a, b in zip(number.text, expected)) >= 11, (number.text, expected)


def test_wide_single_digits_are_read_as_one(test_digits):
    "The widest test digits: the rule-based cutter read 9 of these 20 as one digit (it split the others); the row reader 16."
    x, y = test_digits
    ratios = [(d > 30).any(0).sum() / (d > 30).any(1).sum() for d in x[:2000]]
    wide = [i for i in np.argsort(ratios)[::-1][:40] if y[i] != 1][:20]
    read = [_reading(x[i], None) for i in wide]
    assert sum(t == str(y[i]) for t, i in zip(read, wide)) >= 15, list(zip(read, y[wide]))


def test_best_path_merges_repeats_and_drops_blanks():
    from mnist_nb.model import BLANK, NOT_A_DIGIT
    columns = np.full((8, 12), 0.01, np.float32)
    for t, label in enumerate([1, 1, BLANK, 1, 0, BLANK, 0, NOT_A_DIGIT]): columns[t, label] = 0.9
    assert [d for d, _, _ in best_path(columns)] == [1, 1, 0, 0, NOT_A_DIGIT]   # "1100" and a letter
    assert best_path(np.eye(12, dtype=np.float32)[[BLANK] * 5]) == []          # all blank: nothing


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(ImageInputError, match="blank image"):
        read_number(np.full((40, 120), 255, np.uint8))
    (tmp_path / "a.txt.png").write_text("not an image")
    with pytest.raises(ImageInputError, match="not an image"):
        read_number(tmp_path / "a.txt.png")


def test_a_large_photo_is_read_as_its_small_twin_with_boxes_in_its_own_pixels(test_digits):
    """A number photographed at 8 times the size (over 1,024 pixels wide) is reduced as it is read: the same digits,
    and boxes in the large photo's own pixels, 8 times the small one's."""
    x, y = test_digits
    row = 255 - np.pad(compose_number(x[:5], [0.4] * 4, np.random.default_rng(2)), 12)
    small = Image.fromarray(row)
    big = small.resize((small.width * 8, small.height * 8), Image.BICUBIC)
    assert big.width > 1024                                   # over WORKING_SIDE: reduced
    little, large = read_number(small), read_number(big)
    assert little.text == large.text == "".join(map(str, y[:5]))
    assert (little.size, large.size) == (small.size, big.size)
    for a, b in zip(little.boxes, large.boxes):
        assert all(abs(8 * u - v) <= 24 for u, v in zip(a, b)), (a, b)
        assert 0 <= b[0] < b[2] <= big.width and 0 <= b[1] < b[3] <= big.height
    assert as_row(np.asarray(small, np.float32) / -255 + 1)[0].shape[0] == 32


def test_the_row_readers_recipe_trains_and_reads_through_the_console_script(tmp_path, test_digits):
    """`mnist_nb train --recipe row_reader`, shortened: a run directory with the row test's metrics, which `mnist_nb
    read --run` reads with; a digit model given to `read --run` is refused in one line."""
    run = tmp_path / "reader"
    trained = subprocess.run(["mnist_nb", "train", "--recipe", "row_reader", "--n-train", "600", "--epochs", "1",
                              "--run-dir", str(run), "--quiet"], capture_output=True, text=True, env=ENV, timeout=600)
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout and "test loss" not in trained.stdout
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"test_spaced", "test_one_touching", "test_all_touching"} <= set(metrics) and metrics["epochs"] == 1
    assert json.loads((run / "config.json").read_text())["model"] == "row_reader"
    x, _ = test_digits
    Image.fromarray(255 - compose_number(x[:3], [0.4, 0.4], np.random.default_rng(0))).save(tmp_path / "n.png")
    read = subprocess.run(["mnist_nb", "read", "--json", "--run", str(run), str(tmp_path / "n.png")],
                          capture_output=True, text=True, env=ENV, timeout=300)
    # a reader trained one short epoch reads little or nothing: an answer, or "no digits found" (exit 2)
    assert read.returncode in (0, 2) and ("no digits found" in read.stderr or json.loads(read.stdout)), read.stderr
    from mnist_nb.inference import DEFAULT_MODEL
    digit_model = subprocess.run(["mnist_nb", "read", "--run", str(DEFAULT_MODEL), str(tmp_path / "n.png")],
                                 capture_output=True, text=True, env=ENV, timeout=300)
    assert digit_model.returncode == 2 and "reads one digit, not a row (expected a row reader" in digit_model.stderr
    assert len(digit_model.stderr.strip().splitlines()) == 1
    evaluated = subprocess.run(["mnist_nb", "evaluate", str(run)], capture_output=True, text=True, env=ENV, timeout=300)
    assert evaluated.returncode == 2 and "row_reader: reads rows of digits (expected a model of one digit" in \
        evaluated.stderr, evaluated.stderr
