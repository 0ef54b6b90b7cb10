"""Answers a user can trust: things that are not digits turned away, answer sets that keep their coverage, and
robust training that survives corrupted pictures. Real images, the shipped files, the real console script."""
import json, os, subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from mnist_nb.images import photograph, texture

ENV = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}


def letter(text: str, size=(220, 300)) -> Image.Image:
    "`text` written large in dark ink on light paper, as a photo of a note would show it."
    page = Image.new("L", size, 235)
    font = ImageFont.load_default(size=int(size[1] * 0.6))   # Pillow's own font: on every machine
    ImageDraw.Draw(page).text((size[0] * 0.2, size[1] * 0.1), text, fill=30, font=font)
    return page


@pytest.fixture(scope="module")
def cases(tmp_path_factory, mnist):
    "A letter, a word, a portrait, a texture (none a digit), and three MNIST test digits as photos."
    folder, rng = tmp_path_factory.mktemp("cases"), np.random.default_rng(7)
    letter("A").save(folder / "letter_A.png")
    letter("WAX", (700, 300)).save(folder / "word.png")
    hopper = Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")   # a portrait
    width, height = hopper.size
    hopper.crop((width // 4, height // 8, 3 * width // 4, 5 * height // 8)).save(folder / "photo.jpg")
    texture(rng).save(folder / "texture.jpg")
    for i in range(3): photograph(mnist["x_test"][i], rng).save(folder / f"digit{i}.png")
    return folder


def test_things_that_are_not_digits_are_said_to_be_so_by_the_console_script(cases, mnist):
    result = subprocess.run(["mnist_nb", "predict", "--json", str(cases)], capture_output=True, text=True, env=ENV,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    answers = {os.path.basename(a["image"]): a for a in json.loads(result.stdout)}
    assert {name: a["not_a_digit"] for name, a in answers.items()} == {
        "digit0.png": False, "digit1.png": False, "digit2.png": False, "letter_A.png": True, "photo.jpg": True,
        "texture.jpg": True, "word.png": True}
    for i in range(3):                                          # a digit: its answer, and a set that holds it
        entry = answers[f"digit{i}.png"]
        assert entry["digit"] == mnist["y_test"][i] and mnist["y_test"][i] in entry["set"]
    assert all(isinstance(a["set"], list) and a["set"] for a in answers.values())   # a set on every entry
    table = subprocess.run(["mnist_nb", "predict", str(cases / "letter_A.png")], capture_output=True, text=True,
                           env=ENV, timeout=300).stdout
    assert "(not a digit)" in table


def test_a_word_is_no_number_and_the_others_are_still_read(cases, tmp_path, mnist):
    from mnist_nb.images import compose_number
    number = Image.fromarray(255 - compose_number(mnist["x_test"][:3], [0.3, 0.3], np.random.default_rng(0)))
    number.save(tmp_path / "number.png")
    result = subprocess.run(["mnist_nb", "read", str(cases / "word.png"), str(tmp_path / "number.png")],
                            capture_output=True, text=True, env=ENV, timeout=300)
    assert result.returncode == 2
    assert "word.png: no digits found (expected handwritten digits" in result.stderr
    assert "".join(map(str, mnist["y_test"][:3])) in result.stdout


def test_coverage_needs_a_calibration_and_a_probability(cases, tmp_path):
    from mnist_nb import predict
    from mnist_nb.inference import load_model
    with pytest.raises(ValueError, match="coverage: this model brings no calibration"):
        predict(cases / "digit0.png", load_model(), coverage=0.9)      # a model alone: which images calibrate it?
    with pytest.raises(ValueError, match="coverage: expected a probability between 0 and 1"):
        predict(cases / "digit0.png", coverage=1.5)
    bad = subprocess.run(["mnist_nb", "predict", "--coverage", "2", str(cases / "digit0.png")], capture_output=True,
                         text=True, env=ENV, timeout=300)
    assert bad.returncode == 2 and "--coverage: expected a probability between 0 and 1" in bad.stderr


def test_answer_sets_keep_their_coverage_on_unseen_mnist(mnist):
    "Calibrated on the 5,000 images the shipped model held out, sets at 95 % hold the digit of 95 % of the test set."
    from mnist_nb.evaluation import answer_sets, set_coverage, set_threshold
    from mnist_nb.inference import shipped_model, shipped_scores
    from mnist_nb.model import probabilities
    images, labels = mnist["x_test"][:4000] / np.float32(255), mnist["y_test"][:4000]
    for coverage in (0.95, 0.99):
        covered, size = set_coverage(labels, answer_sets(probabilities(shipped_model(), images),
                                                         set_threshold(shipped_scores(), coverage)))
        margin = 3 * np.sqrt(coverage * (1 - coverage) / len(labels))     # three binomial standard errors
        assert covered >= coverage - margin, (coverage, covered)
        assert size < 1.1, size


def test_robust_training_survives_noise_and_contrast_that_break_a_plain_model(tmp_path, mnist):
    """The same small convnet trained plainly and `robust`ly on 4,000 digits: under noise (σ 0.3) and a faded
    contrast (0.35), the robust one is at least 30 points ahead on 1,000 test digits."""
    from dataclasses import replace
    from mnist_nb.evaluation import corrupt
    from mnist_nb.model import probabilities
    from mnist_nb.runs import train
    from mnist_nb.training import TrainConfig
    plain = TrainConfig(model="cnn_strided", n_train=4000, epochs=3, batch_size=128, validation_split=0,
                        patience=None, learning_rate=0.008, schedule="one_cycle", augment=True)
    images, labels = mnist["x_test"][:1000] / np.float32(255), mnist["y_test"][:1000]
    scores = {}
    for name, config in (("plain", plain), ("robust", replace(plain, robust=True))):
        model = train(config, tmp_path / name, verbose=0).model
        scores[name] = [float((probabilities(model, corrupt(images, c, s)).argmax(1) == labels).mean())
                        for c, s in (("noise", 3), ("contrast", 3))]
    for plain_score, robust_score in zip(scores["plain"], scores["robust"]):
        assert robust_score >= plain_score + 0.30, scores
