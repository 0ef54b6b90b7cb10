"""Ship the row reader: a trained run of `RECIPES["row_reader"]` into mnist_nb/models/, with its figures and card.

    python bench/ship_reader.py [--run bench/runs/row_reader-seed42]   # trained by: python bench/results.py
                                                                        #   row_reader (or mnist_nb train --recipe
                                                                        #   row_reader --run-dir that folder)
    python bench/ship_reader.py --card                          # the card again, from the figures measured since
                                                                 # (bench/whole_numbers.json, bench/read_speed.json)

Writes row_reader.keras (the model alone, no optimizer state: what reading needs), row_reader.json (the run's config
and metrics, and the benchmarks' figures when they are there) and ROW_READER_CARD.md.
"""
import argparse, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "mnist_nb" / "models"
MAX_BYTES = 5 * 2**20  # the budget for the shipped reader


def card(info: dict) -> str:
    "The row reader's card: data, recipe, figures, limits."
    m, bench = info["metrics"], info.get("whole_numbers")
    table = ""
    if bench:
        rows = [r for r in bench["rows"] if r["reader"] == "row reader"]
        table = "\n| digits from | sent as | well spaced | one touching pair | all touching |\n|---|---|---|---|---|\n"
        for source in dict.fromkeys(r["source"] for r in rows):
            for medium in dict.fromkeys(r["medium"] for r in rows):
                got = {r["layout"]: r["exact"] for r in rows if r["source"] == source and r["medium"] == medium}
                table += (f"| {source} | {medium} | {got['spaced']:.1%} | {got['one_touching']:.1%} | "
                          f"{got['all_touching']:.1%} |\n")
        table += (f"\nExact whole-number accuracy, {rows[0]['count']:,} numbers of 3–6 digits in each cell "
                  f"(`python bench/whole_numbers.py --count {rows[0]['count']}`, {bench['machine']['date']}). "
                  "Single digits, photographed, read as rows against the digit model on the same images: "
                  + "; ".join(f"{s['source']} {s['row_reader']:.2%} against {s['digit_model']:.2%}"
                              for s in bench["single_digits"]) + ".\n")
    speed = info.get("read_speed")
    speed_line = (f"- **Speed**: a photographed 6-digit number read in {speed['per_call_ms']['row reader']['p50']:.1f} "
                  f"ms (p50, file to answer, 2 CPU cores; `python bench/read_speed.py`).\n" if speed else "")
    return f"""# mnist_nb's row reader

`row_reader.keras`: the model `read_number`, `mnist_nb read` and the app's whole-number mode read numbers with when
no run is given. The model chapter's `row_reader` ({m['params']:,} weights): a row of ink 32 pixels tall and of any
width in, for every 4 columns the probabilities of the ten digits, of *not a digit* and of a blank out; trained
with CTC, read by the best path (chapter 08).

- **Training data**: rows of 1–8 of MNIST's first 55,000 training digits, composed anew each epoch (gaps from
  overlapping to wide, sizes, pens, slant, broken strokes; one row in five with a letter or a symbol among the
  digits, read as *not a digit*), 3 % photographed and 8 % drawn and read back; the last 5,000 training digits made
  its validation rows. No benchmark image below was trained on.
- **Recipe**: `RECIPES["row_reader"]` ({info['config']['epochs']} epochs, batches of {info['config']['batch_size']},
  one-cycle to {info['config']['learning_rate']}), {m['train_seconds'] / 60:.1f} minutes on 2 CPU cores.
- **Rebuilt by** `python bench/results.py row_reader` (it trains the recipe into bench/runs/row_reader-seed42 and
  writes its row of the results table), then `python bench/ship_reader.py`.
- **Its run's test** ({m['test_accuracy']:.1%}): photographed numbers of MNIST test digits read exactly, well
  spaced {m['test_spaced']:.1%}, one touching pair {m['test_one_touching']:.1%}, all touching
  {m['test_all_touching']:.1%} (200 of each).
{speed_line}{table}
## Limits

- One row of digits, written left to right; no second line. Letters and symbols it reads as *not a digit* are left
  out (counted as skipped); it learned them in two fonts, so handwritten letters, or ones shaped like a digit
  (O, l, S, Z …), may still be read as digits.
- Trained on MNIST's writers; other writers' digits (USPS, above) are read less well, and real photos have
  problems no renderer imitates.
- A digit's probability is the reader's in the column where that digit is most probable; a box is the ink between
  the cuts on either side of its part of the path (where the ink is thinnest), so digits that overlap share ink.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=str(ROOT / "bench" / "runs" / "row_reader-seed42"), help="the run to ship")
    parser.add_argument("--card", action="store_true", help="only the card and figures again, from the shipped files")
    args = parser.parse_args()
    about = MODELS / "row_reader.json"
    if args.card: info = json.loads(about.read_text())
    else:
        from mnist_nb.whole_numbers import load_reader
        run = Path(args.run)
        load_reader(run).save(MODELS / "row_reader.keras")   # loaded uncompiled: no optimizer state
        size = (MODELS / "row_reader.keras").stat().st_size
        assert size <= MAX_BYTES, f"row_reader.keras is {size:,} bytes (expected at most {MAX_BYTES:,})"
        info = {name: json.loads((run / f"{name}.json").read_text()) for name in ("config", "metrics")}
        info["bytes"] = size
    for name in ("whole_numbers", "read_speed"):
        path = ROOT / "bench" / f"{name}.json"
        # figures of the shipped reader, in this script's layout (bench/whole_numbers.py since the row reader)
        if path.is_file() and json.loads(path.read_text()).get("reader") == "shipped":
            info[name] = json.loads(path.read_text())
    about.write_text(json.dumps(info, indent=2) + "\n")
    (MODELS / "ROW_READER_CARD.md").write_text(card(info))
    print(f"row_reader.keras: {info['bytes']:,} bytes; test accuracy {info['metrics']['test_accuracy']:.1%}")


if __name__ == "__main__":
    main()
