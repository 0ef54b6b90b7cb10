"""A stranger's handwriting: runs side by side on MNIST test and on the USPS benchmark; and the shipped model.

    python bench/handwriting.py RUN_DIR [RUN_DIR …]   # compare runs, each calibrated on its own held-out images
    python bench/handwriting.py --ship                 # train the SHIPPED_RECIPES (or reuse their runs in bench/runs),
                                                       # calibrate each, average them, benchmark, write mnist_nb/models/
    python bench/handwriting.py --remeasure            # the shipped model as it is, on the USPS benchmark again (after a
                                                       # change to how images are prepared): its JSON and card rewritten

Needs MNIST (as everywhere) and the USPS digits (`MNIST_NB_USPS`). Every row goes to bench/handwriting.json, with the
machine it was measured on; the table is printed.
"""
import argparse, json, time
from pathlib import Path

from results import machine, run_recipe  # bench/results.py: the machine's description, and runs trained or reused

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "handwriting.json"


def row(name: str, temperatures: list, results: dict) -> dict:
    "One table row: the model, its temperatures, MNIST test, and each USPS family."
    from mnist_nb.handwriting import _photo_and_drawn
    together, hardest, worst = _photo_and_drawn(results["usps"])
    return {"run": name, "temperatures": temperatures, **results, "photo_and_drawn": together, "hardest": hardest,
            "hardest_accuracy": worst}


def table(rows: list) -> str:
    families = list(rows[0]["usps"])
    lines = ["| run | MNIST test | ECE | USPS " + " | ".join(families) + " | photos + drawings | hardest |",
             "|---|---|---|" + "---|" * len(families) + "---|---|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['mnist_test_accuracy']:.2%} | {r['mnist_test_ece']:.2%} | "
                     + " | ".join(f"{r['usps'][f]['accuracy']:.2%}" for f in families)
                     + f" | {r['photo_and_drawn']:.2%} | {r['hardest']} {r['hardest_accuracy']:.2%} |")
    return "\n".join(lines)


def shipped_name() -> str:
    "The shipped model's row in the table."
    from mnist_nb.handwriting import SHIPPED_RECIPES
    return "shipped: " + " + ".join(SHIPPED_RECIPES)


def remeasure(usps: tuple, prepared: dict) -> dict:
    "The shipped model's USPS benchmark measured again; its default.json and MODEL_CARD.md rewritten with it."
    from mnist_nb.handwriting import foreign_benchmark, model_card
    from mnist_nb.inference import load_model
    models = ROOT / "mnist_nb" / "models"
    info = json.loads((models / "default.json").read_text())
    info["usps"] = foreign_benchmark(load_model(), *usps, prepared=prepared)
    (models / "default.json").write_text(json.dumps(info, indent=2) + "\n")
    (models / "MODEL_CARD.md").write_text(model_card(info))
    results = {key: value for key, value in info.items() if key not in ("members", "command")}
    return row(shipped_name(), [m["temperature"] for m in info["members"]], results)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="*", help="run directories to compare")
    parser.add_argument("--ship", action="store_true", help="train (or reuse) RECIPES['handwriting'] and ship it")
    parser.add_argument("--remeasure", action="store_true", help="benchmark the shipped model again, as it is")
    args = parser.parse_args()
    from mnist_nb.handwriting import (FAMILIES, SHIPPED_RECIPES, calibrated, load_usps, prepare_family, ship,
                                      shipped_results)
    from mnist_nb.model import ensemble
    from mnist_nb.training import load_run
    usps = load_usps()
    start = time.perf_counter()
    prepared = {family: prepare_family(usps[0], family) for family in FAMILIES}
    print(f"rendered and prepared {len(FAMILIES)} × {len(usps[0])} images in {time.perf_counter() - start:.0f} s")
    rows = []
    for run in [load_run(run_dir) for run_dir in args.run_dirs]:
        model, temperature = calibrated(run)
        rows.append(row(run.run_dir.name, [temperature], shipped_results(model, run.config, usps, prepared)))
    if args.ship:
        runs = [run_recipe(recipe) for recipe in SHIPPED_RECIPES]
        members, temperatures = zip(*map(calibrated, runs))
        model = ensemble(list(members))
        results = shipped_results(model, runs[0].config, usps, prepared)
        ship(model, runs, list(temperatures), results, ROOT / "mnist_nb" / "models")
        rows.append(row(shipped_name(), list(temperatures), results))
    if args.remeasure: rows.append(remeasure(usps, prepared))
    old = json.loads(RESULTS.read_text())["rows"] if RESULTS.is_file() else []
    merged = {r["run"]: r for r in old} | {r["run"]: r for r in rows}
    RESULTS.write_text(json.dumps({"machine": machine(), "rows": list(merged.values())}, indent=2) + "\n")
    print(table(list(merged.values())))


if __name__ == "__main__":
    main()
