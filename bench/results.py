"""Train the recipes in `mnist_nb.training.RECIPES` on all of MNIST on this machine, and write the results table.

    python bench/results.py                                  # every recipe
    python bench/results.py quick keras_io                   # only these rows; the others stay as measured before
    python bench/results.py --ensemble five_minutes:3        # an ensemble row: 3 runs of a recipe (its seed, +1, +2)
    python bench/results.py --ensemble keras_io+five_minutes+best   # an ensemble of one run of each recipe
    python bench/results.py --ensemble five_minutes:3+best          # both: three five_minutes runs and the best run

Each run is saved under bench/runs/<recipe>-seed<seed>; a complete run with the same config there is reused, not
retrained (delete it to measure again). Every figure goes to bench/results.json with the machine it was measured
on; the table goes into nbs/index.ipynb (between the `results:` markers) and README.md.
"""
import argparse, json, os, platform, subprocess, sys, time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS, RUNS, INDEX = ROOT / "bench" / "results.json", ROOT / "bench" / "runs", ROOT / "nbs" / "index.ipynb"


def run_recipe(name: str, seed: int | None = None):
    "Train recipe `name` (with `seed`, else its own) into bench/runs, or reuse that run when it is already there."
    from mnist_nb.runs import RECIPES, load_run, train
    config = RECIPES[name] if seed is None else replace(RECIPES[name], seed=seed)
    run_dir = RUNS / f"{name}-seed{config.seed}"
    if (run_dir / "metrics.json").is_file() and load_run(run_dir).config == config:
        print(f"{name} seed {config.seed}: reusing {run_dir}")
        return load_run(run_dir)
    print(f"{name} seed {config.seed}: training into {run_dir}", flush=True)
    return train(config, run_dir, verbose=2)


def recipe_row(name: str) -> dict:
    run = run_recipe(name)
    m = run.metrics
    return {"row": name, "date": time.strftime("%Y-%m-%d"), "model": run.config.model, "params": m["params"],
            "epochs": m["epochs"],
            "train_seconds": m["train_seconds"], "test_accuracy": m["test_accuracy"],
            "runs": [str(run.run_dir.relative_to(ROOT))], "command": f"mnist_nb train --recipe {name}"}


def ensemble_row(spec: str) -> dict:
    "An ensemble row: `+`-joined parts, each `RECIPE` (its run) or `RECIPE:N` (N runs of it: its seed, +1, …)."
    from mnist_nb.evaluation import evaluate_ensemble
    from mnist_nb.runs import RECIPES
    parts = [part.partition(":") for part in spec.split("+")]  # (recipe, ":", N or "")
    # the first run of each part is the recipe's own, then its seed + 1, + 2, …
    runs = [run_recipe(name, RECIPES[name].seed + k) for name, _, n in parts for k in range(int(n or 1))]
    models = [run.config.model for run in runs]
    if len(parts) == 1 and parts[0][2]:
        seeds = f"{runs[0].config.seed}…{runs[-1].config.seed}"
        model = f"ensemble of {len(runs)} {models[0]}"
        command = f"mnist_nb train --recipe {parts[0][0]} --seed K (K = {seeds}), then mnist_nb evaluate RUN…"
    else:
        model = "ensemble of " + ", ".join(dict.fromkeys(models))
        command = "mnist_nb train --recipe R [--seed K] for each member, then mnist_nb evaluate RUN…"
    evaluation = evaluate_ensemble([run.run_dir for run in runs])
    return {"row": " + ".join(f"{name} × {n}" if n else name for name, _, n in parts),
            "date": time.strftime("%Y-%m-%d"), "model": model,
            "params": sum(run.metrics["params"] for run in runs), "epochs": sum(run.metrics["epochs"] for run in runs),
            "train_seconds": round(sum(run.metrics["train_seconds"] for run in runs), 2),
            "test_accuracy": evaluation.accuracy,
            "runs": [str(run.run_dir.relative_to(ROOT)) for run in runs],
            "member_accuracies": [run.metrics["test_accuracy"] for run in runs],
            "command": command}


def machine() -> dict:
    import keras, tensorflow as tf
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "date": time.strftime("%Y-%m-%d")}


def table(rows: list) -> str:
    lines = ["| recipe | model | parameters | epochs | training time | test accuracy | measured | command |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        # a row reader's test: photographed numbers of test digits read exactly (chapter 08)
        numbers = " of whole numbers" if r["model"] == "row_reader" else ""
        lines.append(f"| {r['row']} | {r['model']} | {r['params']:,} | {r['epochs']} | {r['train_seconds']:.0f} s "
                     f"| {100 * r['test_accuracy']:.2f} %{numbers} | {r['date']} | `{r['command']}` |")
    return "\n".join(lines)


def write_section(marker: str, text: str) -> None:
    "Put `text` between the `<!-- marker:start/end -->` comments in nbs/index.ipynb, then regenerate README.md."
    from execnb.nbio import read_nb, write_nb
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    nb = read_nb(INDEX)
    cell = next(c for c in nb.cells if start in c.source)
    head, rest = cell.source.split(start)
    cell.source = f"{head}{start}\n{text}\n{end}{rest.split(end)[1]}"
    write_nb(nb, INDEX)
    subprocess.run(["nbdev_clean", "--fname", str(INDEX)], check=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "readme.py")], check=True)


def write_table(rows: list, info: dict) -> None:
    "Put the table between the results markers in nbs/index.ipynb, then regenerate README.md from it."
    note = (f"Measured by `python bench/results.py` (each row on the date it gives; the latest: {info['date']}): "
            f"{info['cores']} CPU cores ({info['cpu']}), no GPU, TensorFlow {info['tensorflow']}, "
            f"Keras {info['keras']}. Training time is the wall time of `fit`. The row reader's test accuracy is "
            "the share of 600 photographed numbers of 3–6 test digits (200 well spaced, 200 with one touching pair, "
            "200 all touching) it reads exactly.")
    write_section("results", f"{note}\n\n{table(rows)}")


def main():
    from mnist_nb.runs import RECIPES
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipes", nargs="*", help=f"recipes to (re)measure (default: all of {', '.join(RECIPES)})")
    parser.add_argument("--ensemble", action="append", default=[], metavar="RECIPE:N|A+B+…",
                        help="also measure an ensemble row")
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"rows": []}
    rows = {r["row"]: r for r in results["rows"]}
    for name in args.recipes or ([] if args.ensemble else list(RECIPES)):
        rows[name] = recipe_row(name)
    for spec in args.ensemble:
        row = ensemble_row(spec)
        rows[row["row"]] = row
    order = list(RECIPES)
    ensembles_last = lambda r: (" " in r["row"], order.index(r["row"].split(" ")[0]), r["row"])
    rows = sorted(rows.values(), key=ensembles_last)
    results = {"machine": machine(), "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_table(rows, results["machine"])
    print(table(rows))


if __name__ == "__main__":
    main()
