"""Exported models side by side: file size, the time to answer one image, and agreement with Keras on the test set.

    python bench/export.py [--repeats 300] [--run RUN_DIR]

For two models, the seed's MLP (a full run of the seed recipe: bench/runs/seed-seed42, trained here if missing) and
the shipped two-network model, each in four forms: the Keras model (`probabilities`, its compiled forward pass),
the SavedModel (`tf.saved_model.load(...).serve`), and LiteRT float32 and int8 (the `ai-edge-litert` interpreter).
Single-image latency is the p50 and p90 of `--repeats` calls on one prepared 28×28 digit, the four forms in
alternating blocks of 20 calls; sizes are the bytes on disk (a SavedModel: its folder). Agreement and accuracy are on
all 10,000 test digits. Writes bench/export.json and the README's table of exported models.
"""
import argparse, json, sys, tempfile
from pathlib import Path

from predict_speed import per_call_ms
from results import machine, write_section

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "export.json"


def table(results: dict) -> str:
    "The README's table: one row per model and form."
    lines = ["| model | form | size | one image, p50 (p90) | same answer as Keras | test accuracy |",
             "|---|---|---|---|---|---|"]
    for model, forms in results["models"].items():
        for form, r in forms.items():
            lines.append(f"| {model} | {form} | {r['bytes'] / 2**20:.2f} MiB | {r['p50_ms']:.3f} ms "
                         f"({r['p90_ms']:.3f}) | {r['agreement']:.2%} | {r['accuracy']:.2%} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=300, help="calls per form (default: 300)")
    parser.add_argument("--run", default=str(BENCH / "runs" / "seed-seed42"), help="the seed run to export")
    args = parser.parse_args()
    from mnist_nb.data import load_mnist, normalise
    from mnist_nb.export import FORMATS, export, exported_size, load_exported, parity
    from mnist_nb.inference import DEFAULT_MODEL, load_model
    from mnist_nb.model import probabilities
    from mnist_nb.runs import RECIPES, train
    if not Path(args.run).is_dir(): train(RECIPES["seed"], args.run, verbose=2)
    _, (x_test, y_test) = load_mnist()
    x_test = normalise(x_test)
    singles = [x_test[i:i + 1] for i in range(20)]
    results = {"command": "python bench/export.py", "machine": machine(), "models": {}}
    sources = {"seed_mlp (seed recipe)": (Path(args.run), Path(args.run) / "model.keras"),
               "shipped (2 convnets)": (DEFAULT_MODEL, DEFAULT_MODEL)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (source, keras_file) in sources.items():
            model = load_model(source)
            paths = {form: export(source, form, Path(tmp) / name / file) for form, file in FORMATS.items()}
            forms = {"keras": lambda x: probabilities(model, x)} | {form: load_exported(p) for form, p in paths.items()}
            sizes = {"keras": keras_file.stat().st_size} | {form: exported_size(p) for form, p in paths.items()}
            latency = per_call_ms(forms, singles, args.repeats)
            rows = {}
            for form, answer in forms.items():
                p = parity(model, answer, x_test, y_test)
                rows[form] = {"bytes": sizes[form], "p50_ms": latency[form]["p50"], "p90_ms": latency[form]["p90"],
                              "agreement": p["agreement"], "accuracy": p["exported_accuracy"]}
            results["models"][name] = rows
            print(name, json.dumps(rows, indent=1), flush=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    note = (f"Measured by `python bench/export.py` ({m['date']}, {m['cores']} CPU cores, no GPU, TensorFlow "
            f"{m['tensorflow']}): the `.keras` file as saved (a run's holds its optimizer's state too) against the "
            "exported forms; latency for one prepared digit, the forms alternating.")
    write_section("export", f"{note}\n\n{table(results)}")
    print(table(results))


if __name__ == "__main__":
    sys.exit(main())
