"""Whole numbers: how often `read_number` reads a photographed row of 3–6 digits exactly, by layout and by source.

    python bench/whole_numbers.py [--count 1000] [--run RUN_DIR]

The numbers are composed from MNIST **test** digits and from the USPS digits (`MNIST_NB_USPS`; skipped where unset),
laid out well spaced, with one touching pair, or all touching, and photographed (chapter 06). The model is the shipped
one unless `--run` names another. Writes bench/whole_numbers.json (with the machine) and prints the table.
"""
import argparse, json, os, time
from pathlib import Path

from results import machine  # bench/results.py: the machine's description

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "whole_numbers.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="numbers per layout and source (default: 1000)")
    parser.add_argument("--run", help="a run directory or .keras file (default: the shipped model)")
    args = parser.parse_args()
    from mnist_nb.data import load_mnist
    from mnist_nb.handwriting import load_usps
    from mnist_nb.inference import load_model
    from mnist_nb.images import LAYOUTS
    from mnist_nb.whole_numbers import number_accuracy
    model = load_model(args.run)
    sources = {"MNIST test": load_mnist()[1]} | ({"USPS": load_usps()} if os.environ.get("MNIST_NB_USPS") else {})
    rows = []
    for source, (digits, labels) in sources.items():
        for layout in LAYOUTS:
            start = time.perf_counter()
            accuracy = number_accuracy(digits, labels, layout, args.count, model=model)
            rows.append({"source": source, "layout": layout, "count": args.count, "exact": accuracy,
                         "seconds": round(time.perf_counter() - start, 1)})
            print(f"{source:<10}  {layout:<12}  {accuracy:.1%} exact of {args.count}", flush=True)
    RESULTS.write_text(json.dumps({"model": args.run or "shipped", "machine": machine(), "rows": rows}, indent=2)
                       + "\n")


if __name__ == "__main__":
    main()
