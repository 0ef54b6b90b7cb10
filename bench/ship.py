"""Build the model that ships with the package, measure it, and write it with its figures and model card.

    python bench/ship.py               # train (or reuse, from bench/runs) the SHIPPED_RECIPES, calibrate each on its
                                       # held-out images, average them; train the not-a-digit detector; compute the
                                       # conformal scores; benchmark all of it; write mnist_nb/models/
    python bench/ship.py --remeasure   # the shipped files as they are, measured again (after a change to how images
                                       # are prepared): default.json and MODEL_CARD.md rewritten

Needs MNIST (as everywhere) and the USPS digits (`MNIST_NB_USPS`). The measured rows also go to
bench/handwriting.json, beside the runs `bench/handwriting.py` compares.
"""
import argparse, json, time

import numpy as np
from dataclasses import asdict
from pathlib import Path

from handwriting import RESULTS, prepared_usps, row, save_rows, table
from results import run_recipe  # bench/results.py: runs trained or reused

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "mnist_nb" / "models"
COMMAND = "python bench/ship.py"
# the detector, once trained, for the next build
DETECTOR_RUN = ROOT / "bench" / "runs" / "not_a_digit"


def model_card(info: dict) -> str:
    "A short model card for the shipped model: data, recipes, metrics, limits."
    from mnist_nb.handwriting import photo_and_drawn
    rows = "\n".join(f"| {name} | {r['accuracy']:.2%} | {r['ece']:.2%} | {r['refused']} |"
                     for name, r in info.get("usps", {}).items())
    members = "\n".join(f"  - `RECIPES[\"{m['recipe']}\"]` (`{m['config']['model']}`, seed {m['config']['seed']}), "
                        f"temperature {m['temperature']:.3f}" for m in info["members"])
    together, hardest, worst = photo_and_drawn(info["usps"]) if "usps" in info else (float("nan"), "-", float("nan"))
    extra = _guarantee_lines(info) if "sets" in info else ""
    return f"""# mnist_nb's shipped model

`default.keras`: the model `mnist_nb predict` and `mnist_nb.predict` use when no run is given. The average of two
convnets, {info['params']:,} weights, each starting with the package's `Standardize` layer (so Keras loads it once
`mnist_nb` is imported, in safe mode). Beside it: `not_a_digit.keras`, the detector that turns away what is no
digit, and `default_scores.npy`, the conformal scores its answer sets are calibrated with.

- **Training data**: MNIST's 60,000 training images only, the last 5,000 held out to calibrate. No image of the
  benchmarks below was ever trained on.
- **Members**, each calibrated by temperature scaling on the held-out images (folded into its last layer):
{members}
- **Rebuilt by** `{info['command']}`.
- **MNIST test**: {info['mnist_test_accuracy']:.2%} accuracy, cross-entropy {info['mnist_test_loss']:.4f},
  expected calibration error {info['mnist_test_ece']:.2%}.
- **A stranger's handwriting** (the 7,291 USPS digits, as scanned and rendered as photos and drawings): {together:.2%}
  over all photo and drawn families together; the hardest family, `{hardest}`, {worst:.2%}.

| USPS rendering | accuracy | calibration error | refused |
|---|---|---|---|
{rows}
{extra}
## Limits

- One digit per image, dark on light or light on dark; whole numbers are the row reader's (`ROW_READER_CARD.md`).
- The detector knows the kinds of non-digit it was shown (letters, symbols, words, scribbles, textures,
  photographs); other things may still get a digit. Letters shaped like a digit (O, l, S, Z, B …) are read as one.
- Answer sets cover at the stated rate for images drawn like MNIST's; for other writers the rate falls (above).
- The benchmark's photos and drawings are rendered from scans; real photos have problems no renderer imitates.
"""


def _guarantee_lines(info: dict) -> str:
    "The model card's sections on non-digits, answer sets and robustness."
    kinds = ", ".join(f"{kind} {share:.1%}" for kind, share in info["non_digits_turned_away"].items())
    sets = "\n".join(f"| {name} | " + " | ".join(
        f"{info['sets'][c][name]['coverage']:.2%} / {info['sets'][c][name]['mean_size']:.3f}" for c in info["sets"])
        + " |" for name in info["sets"][next(iter(info["sets"]))])
    corrupted = ", ".join(f"{name} {np.mean(a[1:]):.1%}" for name, a in info["robustness"].items())
    return f"""
## Not a digit

`not_a_digit.keras` turns away {info['non_digits_mean']:.1%} of the held-out things that are not digits ({kinds}),
and by mistake {info['digits_turned_away']['mnist_test']:.2%} of the MNIST test digits and
{info['usps_photo_and_drawn_turned_away']:.2%} of the USPS photos and drawings. Its threshold: it turns away
{info['detector']['turned_away_held_out']:.1%} of the 5,000 held-out MNIST training digits as users send them.

## Answer sets

Split conformal sets calibrated on the 5,000 held-out images; coverage / mean set size:

| images | """ + " | ".join(f"at {c}" for c in info["sets"]) + f""" |
|---|""" + "---|" * len(info["sets"]) + f"""
{sets}

## Robustness

Mean accuracy on the 10,000 test images under the evaluation chapter's 13 corruptions at severities 1–5:
{info['mean_corrupted_accuracy']:.2%}; the lowest of any corruption at severity 1 or 2:
{info['worst_at_severity_1_2']:.2%}. Per corruption (mean of severities 1–5): {corrupted}.
"""


def build_detector(config) -> tuple:
    """The not-a-digit detector, trained on MNIST's training digits that `config` fits on (and on things that are not
    digits; reused from bench/runs when trained before), its threshold set on the digits it holds out; its figures."""
    from mnist_nb.handwriting import DETECTOR_SIZE, TURNED_AWAY, detector_data, set_detector_threshold, train_detector
    from mnist_nb.inference import load_model
    from mnist_nb.training import load_data, split_validation
    (x_train, y_train), _ = load_data(config, scaled=False)
    (fit_digits, _), (held_digits, _) = split_validation(x_train, y_train, config.validation_split)
    saved, about = DETECTOR_RUN / "not_a_digit.keras", DETECTOR_RUN / "not_a_digit.json"
    asked = {"size": DETECTOR_SIZE, "config": asdict(config)}
    if saved.is_file() and about.is_file() and json.loads(about.read_text())["asked"] == asked:
        print(f"detector: reusing {saved} (as trained, before its threshold)")
        detector, training = load_model(saved), json.loads(about.read_text())["training"]
    else:
        start = time.perf_counter()
        inputs, labels = detector_data(fit_digits, DETECTOR_SIZE, seed=0)
        made = time.perf_counter() - start
        detector = train_detector(inputs, labels)
        training = {"images": len(inputs), "seconds_to_make": round(made),
                    "seconds_to_train": round(time.perf_counter() - start - made)}
        DETECTOR_RUN.mkdir(parents=True, exist_ok=True)
        detector.save(saved)
        about.write_text(json.dumps({"asked": asked, "training": training}, indent=2) + "\n")
    held, _ = detector_data(held_digits, len(held_digits), seed=1, others=0)
    cut = set_detector_threshold(detector, held, TURNED_AWAY)
    print(f"detector: threshold logit {cut:.2f}, turning away {TURNED_AWAY:.1%} of {len(held):,} held-out digits")
    return detector, training | {"turned_away_held_out": TURNED_AWAY, "threshold_logit": cut}


def held_out_scores(model, config):
    "The shipped model's conformal scores on the MNIST training images its members held out."
    from mnist_nb.evaluation import conformal_scores
    from mnist_nb.model import probabilities
    from mnist_nb.training import load_data, split_validation
    (x_train, y_train), _ = load_data(config)
    (_, _), (x_held, y_held) = split_validation(x_train, y_train, config.validation_split)
    return conformal_scores(y_held, probabilities(model, x_held))


def guarantees(model, detector, scores, config, usps, prepared) -> dict:
    "Everything beyond accuracy: not a digit, answer sets, robustness; MNIST test and each USPS family."
    import numpy as np
    from mnist_nb.evaluation import answer_sets, mean_corrupted_accuracy, robustness, set_coverage, set_threshold
    from mnist_nb.handwriting import _prepared, non_digit_benchmark
    from mnist_nb.inference import COVERAGE, not_a_digit
    from mnist_nb.model import probabilities
    from mnist_nb.training import load_data
    from mnist_nb.data import load_mnist
    (_, _), (x_test, y_test) = load_data(config)
    (_, _), (raw_test, _) = load_mnist(config.data_dir)
    as_given, refused = _prepared(list(raw_test))  # MNIST test digits as a user's arrays, prepared
    digits, labels = usps
    families = {"mnist_test": (as_given[~refused], y_test[~refused])} | {
        family: (inputs[~gone], labels[~gone]) for family, (inputs, gone) in prepared.items()}
    sets = {}
    for coverage in (COVERAGE, 0.999):
        threshold = set_threshold(scores, coverage)
        sets[str(coverage)] = {}
        for name, (inputs, truth) in families.items():
            covered, size = set_coverage(truth, answer_sets(probabilities(model, inputs), threshold))
            sets[str(coverage)][name] = {"coverage": covered, "mean_size": size}
    turned_away = {name: float(not_a_digit(inputs, detector).mean()) for name, (inputs, _) in families.items()}
    start = time.perf_counter()
    non_digits = non_digit_benchmark(detector)
    print(f"non-digit benchmark in {time.perf_counter() - start:.0f} s")
    corrupted = robustness(model, x_test, y_test, n=len(x_test))
    usps_turned_away = [v for k, v in turned_away.items() if k not in ("mnist_test", "as_is")]
    return {"sets": sets, "digits_turned_away": turned_away,
            "usps_photo_and_drawn_turned_away": float(np.mean(usps_turned_away)),
            "non_digits_turned_away": non_digits, "non_digits_mean": float(np.mean(list(non_digits.values()))),
            "robustness": corrupted, "mean_corrupted_accuracy": mean_corrupted_accuracy(corrupted),
            "worst_at_severity_1_2": min(min(a[1:3]) for a in corrupted.values())}


def ship(model, runs: list, temperatures: list, results: dict, detector=None, scores=None,
         folder: Path = MODELS) -> Path:
    """Save `model` (made of `runs`, calibrated with `temperatures`) as `folder`/default.keras, with the detector, the
    conformal scores, figures and card."""
    import numpy as np
    from mnist_nb.handwriting import SHIPPED_RECIPES
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "default.keras")
    if detector is not None: detector.save(folder / "not_a_digit.keras")
    if scores is not None: np.save(folder / "default_scores.npy", scores)
    info = {"members": [{"recipe": recipe, "run_dir": run.run_dir.name, "temperature": t, "config": asdict(run.config)}
                        for recipe, run, t in zip(SHIPPED_RECIPES, runs, temperatures)],
            **results, "command": COMMAND}
    write_info(info, folder)
    return folder / "default.keras"


def write_info(info: dict, folder: Path = MODELS) -> None:
    "The shipped model's figures (default.json) and the model card written from them."
    (folder / "default.json").write_text(json.dumps(info, indent=2) + "\n")
    (folder / "MODEL_CARD.md").write_text(model_card(info))


def shipped_name() -> str:
    "The shipped model's row in the table."
    from mnist_nb.handwriting import SHIPPED_RECIPES
    return "shipped: " + " + ".join(SHIPPED_RECIPES)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remeasure", action="store_true", help="benchmark the shipped model again, as it is")
    args = parser.parse_args()
    from mnist_nb.handwriting import SHIPPED_RECIPES, calibrated, foreign_benchmark, shipped_results
    from mnist_nb.inference import load_model
    from mnist_nb.model import ensemble
    usps, prepared = prepared_usps()
    if args.remeasure:
        from mnist_nb.inference import shipped_detector, shipped_scores
        from mnist_nb.training import config_from_dict
        info = json.loads((MODELS / "default.json").read_text())
        config = config_from_dict(info["members"][0]["config"])
        info["usps"] = foreign_benchmark(load_model(), *usps, prepared=prepared)
        info |= guarantees(load_model(), shipped_detector(), shipped_scores(), config, usps, prepared)
        write_info(info | {"command": COMMAND})
        results = {key: value for key, value in info.items() if key not in ("members", "command")}
        measured = row(shipped_name(), [m["temperature"] for m in info["members"]], results)
    else:
        runs = [run_recipe(recipe) for recipe in SHIPPED_RECIPES]
        members, temperatures = zip(*map(calibrated, runs))
        model = ensemble(list(members))
        scores = held_out_scores(model, runs[0].config)
        detector, training = build_detector(runs[0].config)
        results = shipped_results(model, runs[0].config, usps, prepared)
        results |= guarantees(model, detector, scores, runs[0].config, usps, prepared) | {"detector": training}
        ship(model, runs, list(temperatures), results, detector, scores)
        measured = row(shipped_name(), list(temperatures), results)
    print(table(save_rows([measured])))


if __name__ == "__main__":
    main()
