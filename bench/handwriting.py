"""A stranger's handwriting: runs side by side on MNIST test and on the USPS benchmark.

    python bench/handwriting.py RUN_DIR [RUN_DIR …]   # compare runs, each calibrated on its own held-out images

Needs MNIST (as everywhere) and the USPS digits (`MNIST_NB_USPS`). Every row goes to bench/handwriting.json, with the
machine it was measured on, beside the shipped model's (`bench/ship.py` builds and measures that one); the table is
printed.
"""
import argparse, json, time
from pathlib import Path

from results import machine  # bench/results.py: the machine's description

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "handwriting.json"


def prepared_usps() -> tuple:
    "The USPS digits and labels, and every family of the benchmark rendered and prepared once (for several models)."
    from mnist_nb.handwriting import FAMILIES, load_usps, prepare_family
    usps = load_usps()
    start = time.perf_counter()
    prepared = {family: prepare_family(usps[0], family) for family in FAMILIES}
    print(f"rendered and prepared {len(FAMILIES)} × {len(usps[0])} images in {time.perf_counter() - start:.0f} s")
    return usps, prepared


def row(name: str, temperatures: list, results: dict) -> dict:
    "One table row: the model, its temperatures, MNIST test, and each USPS family."
    from mnist_nb.handwriting import photo_and_drawn
    together, hardest, worst = photo_and_drawn(results["usps"])
    return {"run": name, "temperatures": temperatures, **results, "photo_and_drawn": together, "hardest": hardest,
            "hardest_accuracy": worst}


def save_rows(rows: list) -> list:
    "`rows` merged into bench/handwriting.json (a row of the same name replaced): all the rows."
    old = json.loads(RESULTS.read_text())["rows"] if RESULTS.is_file() else []
    merged = list(({r["run"]: r for r in old} | {r["run"]: r for r in rows}).values())
    RESULTS.write_text(json.dumps({"machine": machine(), "rows": merged}, indent=2) + "\n")
    return merged


def table(rows: list) -> str:
    families = list(rows[0]["usps"])
    lines = ["| run | MNIST test | ECE | USPS " + " | ".join(families) + " | photos + drawings | hardest |",
             "|---|---|---|" + "---|" * len(families) + "---|---|"]
    for r in rows:
        lines.append(f"| {r['run']} | {r['mnist_test_accuracy']:.2%} | {r['mnist_test_ece']:.2%} | "
                     + " | ".join(f"{r['usps'][f]['accuracy']:.2%}" for f in families)
                     + f" | {r['photo_and_drawn']:.2%} | {r['hardest']} {r['hardest_accuracy']:.2%} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", help="run directories to compare")
    args = parser.parse_args()
    from mnist_nb.handwriting import calibrated, shipped_results
    from mnist_nb.runs import load_run
    usps, prepared = prepared_usps()
    rows = []
    for run in [load_run(run_dir) for run_dir in args.run_dirs]:
        model, temperature = calibrated(run)
        rows.append(row(run.run_dir.name, [temperature], shipped_results(model, run.config, usps, prepared)))
    print(table(save_rows(rows)))


if __name__ == "__main__":
    main()
