"""The README's speed table, from whatever the speed benchmarks have measured (bench/*_speed.json).

    python bench/speed_table.py      # rewrite the table without measuring anything
"""
import json
from pathlib import Path

from results import write_section

BENCH = Path(__file__).resolve().parent


def _load(name: str) -> dict | None:
    path = BENCH / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _m(figure: dict, unit: str = "", scale: float = 1, digits: int = 2) -> str:
    "A median with its min–max, e.g. `1.12 s (1.05–1.31)`."
    f = lambda v: f"{v * scale:.{digits}f}"
    return f"{f(figure['median'])}{unit} ({f(figure['min'])}–{f(figure['max'])})"


def rows() -> list:
    "One row per figure: what, mnist_nb, the reference in the same run, the ratio, the target, the command."
    out = []
    if seed := _load("seed_speed"):
        ours, ref = seed["sides"]["mnist_nb"], seed["sides"]["seed_notebook"]
        out += [("seed config, seconds per epoch (batch 32)", _m(ours["epoch_seconds"], " s"),
                 f"seed notebook's code: {_m(ref['epoch_seconds'], ' s')}", f"{seed['epoch_seconds_ratio']:.2f}",
                 "≤ 0.33", seed["command"]),
                ("seed config, peak memory of a full training", _m(ours["peak_gb"], " GB"),
                 f"seed notebook's code: {_m(ref['peak_gb'], ' GB')}; `import tensorflow, keras` alone: "
                 f"{seed['import_peak_gb']['median']:.2f} GB", "", "≤ 0.9 GB", seed["command"]),
                ("seed config, test accuracy at convergence", _m(ours["test_accuracy"], " %", 100),
                 f"seed notebook's code: {_m(ref['test_accuracy'], ' %', 100)}",
                 f"{100 * (ours['test_accuracy']['median'] - ref['test_accuracy']['median']):+.2f} points",
                 "± 0.3 points", seed["command"])]
    if fast := _load("accuracy_speed"):
        ref = fast["keras_io"]
        for row in fast["recipes"]:
            out.append((f"time to ≥ {100 * row['target']:.1f} % test accuracy: `{row['recipe']}` ({row['seeds']} "
                        f"seeds, {row['reached']} reach it)",
                        f"{_m(row['seconds'], ' s', digits=1)}, accuracy {_m(row['test_accuracy'], ' %', 100)}",
                        f"keras-io convnet's code, time to 99.0 %: {_m(ref['seconds_to_99'], ' s', digits=1)} "
                        f"({ref['reached_99']} runs reach it)",
                        f"{row['ratio']:.3f} = 1/{1 / row['ratio']:.1f}", row["goal"], fast["command"]))
    if predict := _load("predict_speed"):
        for row in predict["rows"]:
            out.append((row["figure"], row["ours"], row["reference"], row.get("ratio", ""), row.get("target", ""),
                        predict["command"]))
    return out


def _markdown(row: tuple) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in row[:-1]) + f" | `{row[-1]}` |"


def print_rows(script: str) -> None:
    "Print the table's rows that `script` (e.g. seed_speed.py) measured."
    print("| figure | mnist_nb | reference, same run | ratio | target | command |\n|---|---|---|---|---|---|")
    print("\n".join(_markdown(row) for row in rows() if script in row[-1]))


def write_speed_table() -> None:
    "Rewrite the speed section of nbs/index.ipynb (and README.md) from the benchmarks' JSON files."
    machines = {json.dumps(d["machine"], sort_keys=True): d["machine"] for d in
                filter(None, map(_load, ("seed_speed", "accuracy_speed", "predict_speed", "epoch_speed")))}
    notes = [f"{m['cores']} CPU cores ({m['cpu']}), no GPU, TensorFlow {m['tensorflow']}, Keras {m['keras']}, "
             f"{m['date']}" for m in machines.values()]
    lines = ["Measured on " + "; ".join(notes) + ". Median (min–max) of alternating runs; ratios from one run.", "",
             "| figure | mnist_nb | reference, same run | ratio | target | command |", "|---|---|---|---|---|---|"]
    lines += [_markdown(row) for row in rows()]
    if (BENCH.parent / "nbs" / "images" / "epoch_speed.png").is_file():
        lines += ["", "How the seed config's epoch time grows with the training set and the batch size "
                  "(`python bench/epoch_speed.py`):", "", "![epoch time by training-set size and batch size]"
                  "(images/epoch_speed.png)"]
    write_section("speed", "\n".join(lines))


if __name__ == "__main__":
    write_speed_table()
