"""Build the model that ships with the package, measure it, and write it with its figures and model card.

    python bench/ship.py               # train (or reuse, from bench/runs) the SHIPPED_RECIPES, calibrate each on its
                                       # held-out images, average them, benchmark, write mnist_nb/models/
    python bench/ship.py --remeasure   # the shipped model as it is, on the USPS benchmark again (after a change to
                                       # how images are prepared): its default.json and MODEL_CARD.md rewritten

Needs MNIST (as everywhere) and the USPS digits (`MNIST_NB_USPS`). The measured rows also go to
bench/handwriting.json, beside the runs `bench/handwriting.py` compares.
"""
import argparse, json
from dataclasses import asdict
from pathlib import Path

from handwriting import RESULTS, prepared_usps, row, save_rows, table
from results import run_recipe  # bench/results.py: runs trained or reused

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "mnist_nb" / "models"
COMMAND = "python bench/ship.py"


def model_card(info: dict) -> str:
    "A short model card for the shipped model: data, recipes, metrics, limits."
    from mnist_nb.handwriting import photo_and_drawn
    rows = "\n".join(f"| {name} | {r['accuracy']:.2%} | {r['ece']:.2%} | {r['refused']} |"
                     for name, r in info.get("usps", {}).items())
    members = "\n".join(f"  - `RECIPES[\"{m['recipe']}\"]` (`{m['config']['model']}`, seed {m['config']['seed']}), "
                        f"temperature {m['temperature']:.3f}" for m in info["members"])
    together, hardest, worst = photo_and_drawn(info["usps"]) if "usps" in info else (float("nan"), "-", float("nan"))
    return f"""# mnist_nb's shipped model

`default.keras`: the model `mnist_nb predict` and `mnist_nb.predict` use when no run is given. The average of two
convnets, {info['params']:,} weights; it loads in Keras safe mode with no custom object.

- **Training data**: MNIST's 60,000 training images only, the last 5,000 held out to calibrate. No image of the
  benchmark below was ever trained on.
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

## Limits

- One digit per image, dark on light or light on dark; a whole number needs its digits cut apart first.
- It knows handwritten digits 0–9 only: anything else (a letter, a printed digit in an unusual font, a drawing)
  still gets one of the ten answers. Answers with probability below 0.8 are flagged `unsure`.
- The benchmark's photos and drawings are rendered from scans; real photos have problems no renderer imitates.
"""


def ship(model, runs: list, temperatures: list, results: dict, folder: Path = MODELS) -> Path:
    "Save `model` (made of `runs`, calibrated with `temperatures`) as `folder`/default.keras, with figures and card."
    from mnist_nb.handwriting import SHIPPED_RECIPES
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "default.keras")
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
        info = json.loads((MODELS / "default.json").read_text())
        info["usps"] = foreign_benchmark(load_model(), *usps, prepared=prepared)
        write_info(info | {"command": COMMAND})
        results = {key: value for key, value in info.items() if key not in ("members", "command")}
        measured = row(shipped_name(), [m["temperature"] for m in info["members"]], results)
    else:
        runs = [run_recipe(recipe) for recipe in SHIPPED_RECIPES]
        members, temperatures = zip(*map(calibrated, runs))
        model = ensemble(list(members))
        results = shipped_results(model, runs[0].config, usps, prepared)
        ship(model, runs, list(temperatures), results)
        measured = row(shipped_name(), list(temperatures), results)
    print(table(save_rows([measured])))


if __name__ == "__main__":
    main()
