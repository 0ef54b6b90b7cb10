"""Whole numbers: how often a photographed or drawn row of 3–6 digits is read exactly, by layout, source, medium and
length; single digits read as rows beside the digit model; the row reader beside the rule-based reader before it.

    python bench/whole_numbers.py [--count 1000] [--run RUN_DIR] [--no-before]

The numbers are composed from MNIST **test** digits and from the USPS digits (`MNIST_NB_USPS`; skipped where unset),
laid out well spaced, with one touching pair, or all touching (`LAYOUTS`), and photographed or drawn again with a pen
(`MEDIA`, chapter 05). Each image is read by the row reader (the shipped one unless `--run` names another) and, unless
`--no-before`, by the rule-based reader that `read_number` was before the row reader (the cutter of commit BEFORE,
loaded from this repository's history, with the shipped digit model): the same images for both. Then `--count`
single test digits of each source, photographed, are read as rows and by the digit model (`predict`), the same images
for both. Writes bench/whole_numbers.json (with the machine) and prints the tables.
"""
import argparse, json, os, subprocess, time, types
from collections import defaultdict
from pathlib import Path

import numpy as np

from results import machine  # bench/results.py: the machine's description

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "whole_numbers.json"
BEFORE = "1aebccd"  # the last commit whose read_number cut rows into digits by rules


def rule_based_reader():
    "`read_number` as it was at BEFORE (cut by rules, then each piece read by the shipped digit model)."
    source = subprocess.run(["git", "show", f"{BEFORE}:mnist_nb/whole_numbers.py"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    module = types.ModuleType("mnist_nb._rule_based")
    module.__package__ = "mnist_nb"  # its relative imports: today's package
    exec(compile(source, f"whole_numbers.py@{BEFORE}", "exec"), module.__dict__)
    return module.read_number


def reading(read, image) -> str | None:
    "The text `read` gives for `image`, or None where it refuses the image (a mistake here)."
    from mnist_nb.inference import ImageInputError
    try: return read(image).text
    except ImageInputError: return None


def markdown(rows: list, by_length: list, singles: list) -> str:
    "The tables for the whole-numbers chapter: exact numbers per source, medium and layout; per length; single digits."
    lines = ["| digits from | sent as | reader | well spaced | one touching pair | all touching |", "|---|---|---|---|---|---|"]
    cells = defaultdict(dict)
    for r in rows: cells[(r["source"], r["medium"], r["reader"])][r["layout"]] = r["exact"]
    for (source, medium, reader), got in cells.items():
        lines.append(f"| {source} | {medium} | {reader} | {got['spaced']:.1%} | {got['one_touching']:.1%} | "
                     f"{got['all_touching']:.1%} |")
    lengths = sorted({e["digits"] for e in by_length})
    lines += ["", "| digits from | " + " | ".join(f"{n} digits" for n in lengths) + " |", "|---|" + "---|" * len(lengths)]
    for source in dict.fromkeys(e["source"] for e in by_length):
        got = {e["digits"]: e["exact"] for e in by_length if e["source"] == source}
        lines.append(f"| {source} | " + " | ".join(f"{got[n]:.1%}" for n in lengths) + " |")
    lines += ["", "| single digits from | read as a row | by the digit model | difference |", "|---|---|---|---|"]
    lines += [f"| {s['source']} | {s['row_reader']:.2%} | {s['digit_model']:.2%} | "
              f"{100 * (s['row_reader'] - s['digit_model']):+.2f} points |" for s in singles]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="numbers per layout, source and medium (default: 1000)")
    parser.add_argument("--run", help="a row reader's run directory or .keras file (default: the shipped one)")
    parser.add_argument("--no-before", action="store_true", help="read with the row reader only")
    args = parser.parse_args()
    from mnist_nb.data import load_mnist
    from mnist_nb.handwriting import load_usps
    from mnist_nb.images import LAYOUTS, MEDIA, photograph, random_number
    from mnist_nb.inference import predict
    from mnist_nb.whole_numbers import load_reader, read_number
    reader = load_reader(args.run)
    readers = {"row reader": lambda image: read_number(image, reader)}
    if not args.no_before: readers["rule-based (before)"] = rule_based_reader()
    sources = {"MNIST test": load_mnist()[1]} | ({"USPS": load_usps()} if os.environ.get("MNIST_NB_USPS") else {})
    rows, lengths = [], defaultdict(lambda: [0, 0])
    for source, (digits, labels) in sources.items():
        for medium in MEDIA:
            for layout in LAYOUTS:
                rng, right, seconds = np.random.default_rng(0), defaultdict(int), defaultdict(float)
                for _ in range(args.count):
                    image, text = random_number(digits, labels, rng, layout, medium=medium)
                    for name, read in readers.items():
                        start = time.perf_counter()
                        ok = reading(read, image) == text
                        seconds[name] += time.perf_counter() - start
                        right[name] += ok
                        if name == "row reader":  # right and read, by the number's length
                            tally = lengths[(source, len(text))]
                            tally[0] += ok; tally[1] += 1
                for name in readers:
                    rows.append({"reader": name, "source": source, "medium": medium, "layout": layout,
                                 "count": args.count, "exact": right[name] / args.count,
                                 "ms_per_number": round(1000 * seconds[name] / args.count, 1)})
                print(f"{source:<10}  {medium:<8}  {layout:<12}  "
                      + "  ".join(f"{name} {right[name] / args.count:.1%}" for name in readers), flush=True)
    by_length = [{"source": s, "digits": n, "count": total, "exact": ok / total}
                 for (s, n), (ok, total) in sorted(lengths.items())]
    for entry in by_length:
        print(f"row reader  {entry['source']:<10}  {entry['digits']} digits  {entry['exact']:.1%} of {entry['count']}")
    singles = []
    for source, (digits, labels) in sources.items():
        rng = np.random.default_rng(1)
        photos = [photograph(digits[i], rng) for i in range(args.count)]
        as_rows = np.mean([reading(readers["row reader"], p) == str(labels[i]) for i, p in enumerate(photos)])
        alone = np.mean([p.digit for p in predict(photos)] == labels[:args.count])
        singles.append({"source": source, "count": args.count, "row_reader": float(as_rows),
                        "digit_model": float(alone)})
        print(f"single digits  {source:<10}  row reader {as_rows:.2%}  digit model {alone:.2%}  "
              f"({100 * (as_rows - alone):+.2f} points)", flush=True)
    print(markdown(rows, by_length, singles))
    RESULTS.write_text(json.dumps({"reader": args.run or "shipped", "before": None if args.no_before else BEFORE,
                                   "machine": machine(), "rows": rows, "by_length": by_length,
                                   "single_digits": singles}, indent=2) + "\n")


if __name__ == "__main__":
    main()
