"""Ways to say "not a digit", measured against each other on the same images.

    python bench/not_digits.py            # the shipped model's own confidence, a density of its features, the detector

Each way gives every prepared image a score (higher: less like a digit). At the same share of MNIST test digits turned
away (1 % and 0.2 %), the table gives the share of the held-out non-digits of each kind turned away, and of the USPS
photos and drawings (1,000 of each family). Ways: `confidence` (1 − the shipped model's top probability, the *unsure*
flag's score; the ensemble averages probabilities, so its max-logit ranks the same); `density` (the smallest
Mahalanobis distance of the members' penultimate features to a digit class, with a covariance shared by the classes,
fitted on 20,000 MNIST training digits: Lee et al. 2018); `detector` (the shipped not_a_digit.keras); and the shipped
detector at its own threshold. Writes bench/not_digits.json.
"""
import json, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "not_digits.json"


def _features(model, inputs):
    "The penultimate features of each member of the shipped ensemble, side by side."
    import keras
    members = [layer.layers[0] for layer in model.layers if isinstance(layer, keras.Sequential)]
    return np.concatenate([keras.Model(m.inputs, m.layers[-2].output).predict(inputs, batch_size=500, verbose=0)
                           for m in members], axis=1)


def density_score(model, digits, labels):
    "A function of prepared inputs: the smallest Mahalanobis distance to a digit class of `model`'s features."
    features = _features(model, digits)
    means = np.stack([features[labels == c].mean(0) for c in range(10)])
    centred = features - means[labels]
    precision = np.linalg.inv(centred.T @ centred / len(centred) + 1e-3 * np.eye(features.shape[1]))
    def score(inputs):
        f = _features(model, inputs)
        return np.min([np.einsum("ij,jk,ik->i", f - m, precision, f - m) for m in means], axis=0)
    return score


def main():
    from mnist_nb.data import load_mnist
    from mnist_nb.handwriting import FAMILIES, _logits, _prepared, load_usps, prepare_family
    from mnist_nb.images import NON_DIGIT_KINDS, non_digit
    from mnist_nb.inference import not_a_digit, shipped_detector, shipped_model
    from mnist_nb.model import probabilities
    start = time.perf_counter()
    (x_train, y_train), (x_test, _) = load_mnist()
    model, detector = shipped_model(), shipped_detector()
    pick = np.random.default_rng(0).choice(55_000, 20_000, replace=False)
    fit, fit_refused = _prepared(list(x_train[pick]))
    test, test_refused = _prepared(list(x_test))
    rng = np.random.default_rng(1)  # non_digit_benchmark's seed: the same held-out things
    others = {kind: _prepared([non_digit(kind, rng, held_out=True) for _ in range(200)])[0] for kind in NON_DIGIT_KINDS}
    usps, _ = load_usps()
    chosen = np.random.default_rng(2).choice(len(usps), 1000, replace=False)
    foreign = {family: prepare_family(usps[chosen], family)[0] for family in FAMILIES if family != "as_is"}
    print(f"images made and prepared in {time.perf_counter() - start:.0f} s")
    scores = {"confidence": lambda x: 1 - probabilities(model, x).max(1),
              "density": density_score(model, fit[~fit_refused], y_train[pick][~fit_refused]),
              "detector": lambda x: _logits(detector, x)}
    rows = []
    for name, score in scores.items():
        on_test = score(test[~test_refused])
        for rate in (0.01, 0.002):
            cut = np.quantile(on_test, 1 - rate)
            rows.append({"way": name, "mnist_test_turned_away": rate,
                         "usps_photo_and_drawn": float(np.mean([(score(x) > cut).mean() for x in foreign.values()])),
                         **{kind: float((score(x) > cut).mean()) for kind, x in others.items()}})
    rows.append({"way": "detector at its threshold",
                 "mnist_test_turned_away": float(not_a_digit(test[~test_refused], detector).mean()),
                 "usps_photo_and_drawn": float(np.mean([not_a_digit(x, detector).mean() for x in foreign.values()])),
                 **{kind: float(not_a_digit(x, detector).mean()) for kind, x in others.items()}})
    for row in rows: row["non_digits_mean"] = float(np.mean([row[kind] for kind in NON_DIGIT_KINDS]))
    RESULTS.write_text(json.dumps({"command": "python bench/not_digits.py", "date": time.strftime("%Y-%m-%d"),
                                   "rows": rows}, indent=2) + "\n")
    kinds = list(NON_DIGIT_KINDS)
    print("| way | MNIST test turned away | USPS photos + drawings | " + " | ".join(kinds) + " | all kinds |")
    print("|---|---|---|" + "---|" * len(kinds) + "---|")
    for r in rows:
        print(f"| {r['way']} | {r['mnist_test_turned_away']:.2%} | {r['usps_photo_and_drawn']:.2%} | "
              + " | ".join(f"{r[k]:.1%}" for k in kinds) + f" | {r['non_digits_mean']:.1%} |")


if __name__ == "__main__":
    main()
