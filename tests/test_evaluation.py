"""The evaluation chapter's numbers against independent computations (scikit-learn), and what each corruption must
preserve."""
import numpy as np
import pytest
from sklearn import metrics

from mnist_nb.data import normalise
from mnist_nb.evaluation import (CORRUPTIONS, calibration_error, confused_pairs, confusion_matrix, corrupt,
                                 per_class, reliability)


@pytest.fixture(scope="module")
def answers():
    "Labels and plausible, imperfect probabilities: right 85 % of the time, digit 4 often called 9."
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 3000)
    logits = 4 * np.eye(10)[labels] + rng.normal(0, 1.5, (3000, 10))
    logits[labels == 4, 9] += 2.5
    return labels, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def test_confusion_and_per_class_agree_with_scikit_learn(answers):
    labels, probabilities = answers
    predictions = probabilities.argmax(axis=1)
    confusion = confusion_matrix(labels, predictions)
    np.testing.assert_array_equal(confusion, metrics.confusion_matrix(labels, predictions, labels=range(10)))
    table = per_class(confusion)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(labels, predictions, labels=range(10))
    np.testing.assert_allclose(table["precision"], precision, rtol=1e-12)
    np.testing.assert_allclose(table["recall"], recall, rtol=1e-12)
    np.testing.assert_allclose(table["f1"], f1, rtol=1e-12)
    np.testing.assert_array_equal(table["support"], support)
    assert 0.6 < (predictions == labels).mean() < 0.95


def test_the_most_confused_pair_is_the_one_built_in(answers):
    labels, probabilities = answers
    pairs = confused_pairs(confusion_matrix(labels, probabilities.argmax(axis=1)), n=3)
    assert pairs["pair"][0] == "4↔9" and pairs["first→second"][0] > pairs["second→first"][0]
    assert list(pairs["mistakes"]) == sorted(pairs["mistakes"], reverse=True)


def test_calibration_error_matches_its_definition(answers):
    "ECE computed by hand, bin by bin, with the bin edges of the definition (15 equal widths on [0, 1])."
    labels, probabilities = answers
    confidence, right = probabilities.max(axis=1), probabilities.argmax(axis=1) == labels
    edges, total = np.linspace(0, 1, 16), 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence >= low) & ((confidence < high) if high < 1 else (confidence <= high))
        if inside.any(): total += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    assert calibration_error(labels, probabilities) == pytest.approx(total, rel=1e-9)
    _, accuracy, count = reliability(labels, probabilities)
    assert count.sum() == len(labels) and ((0 <= accuracy) & (accuracy <= 1)).all()


@pytest.fixture(scope="module")
def digits(mnist):
    return normalise(mnist["x_test"][:64])


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_keeps_shape_range_and_grows_with_severity(digits, name):
    assert np.array_equal(corrupt(digits, name, 0), digits)  # severity 0 is the identity
    changes = []
    for severity in range(1, 6):
        corrupted = corrupt(digits, name, severity, seed=1)
        assert corrupted.shape == digits.shape and corrupted.dtype == np.float32
        assert corrupted.min() >= 0 and corrupted.max() <= 1, (corrupted.min(), corrupted.max())
        assert np.array_equal(corrupted, corrupt(digits, name, severity, seed=1))  # seeded: the same again
        changes.append(float(np.abs(corrupted - digits).mean()))
    assert changes[0] > 0 and changes[-1] > changes[0], changes  # it does something, more at severity 5 than 1


def test_a_shift_moves_the_ink_by_that_many_pixels(digits):
    "translate at severity 3 moves every digit's centre of mass by 3 pixels, in some direction."
    rows, cols = np.indices((28, 28))
    def centres(x): return np.stack([(x * rows).sum((1, 2)), (x * cols).sum((1, 2))], 1) / x.sum((1, 2))[:, None]
    moved = np.linalg.norm(centres(corrupt(digits, "translate", 3)) - centres(digits), axis=1)
    np.testing.assert_allclose(np.median(moved), 3, atol=0.3)
