"""Reading speed: a photographed 6-digit number read by the row reader, beside the rule-based reader before it.

    python bench/read_speed.py [--repeats 200]

Twenty photos (JPEG files, a few hundred pixels a side) of 6-digit numbers of MNIST test digits, well spaced, read
again and again by `read_number` with the shipped row reader, and by the rule-based `read_number` of commit BEFORE
(bench/whole_numbers.py loads it from this repository's history), side by side in alternating blocks of 20 calls
(`per_call_ms` of bench/predict_speed.py); p50 and p90 in ms, the whole call from the file to the `Number`. Writes
bench/read_speed.json.
"""
import argparse, json, tempfile
from pathlib import Path

from predict_speed import per_call_ms
from results import machine
from whole_numbers import BEFORE, rule_based_reader

RESULTS = Path(__file__).resolve().parent / "read_speed.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200, help="calls per reader (default: 200)")
    args = parser.parse_args()
    import numpy as np
    from mnist_nb.data import load_mnist
    from mnist_nb.images import random_number
    from mnist_nb.whole_numbers import read_number
    _, (x_test, y_test) = load_mnist()
    rng, folder, files = np.random.default_rng(0), Path(tempfile.mkdtemp()), []
    for i in range(20):
        photo, _ = random_number(x_test, y_test, rng, "spaced", lengths=(6, 6))
        photo.save(folder / f"number{i}.jpg", quality=90)
        files.append(folder / f"number{i}.jpg")
    readers = {"row reader": read_number, f"rule-based ({BEFORE})": rule_based_reader()}
    times = per_call_ms(readers, files, args.repeats)
    for name, t in times.items(): print(f"{name:<22}  p50 {t['p50']:.1f} ms  p90 {t['p90']:.1f} ms")
    RESULTS.write_text(json.dumps({"reader": "shipped", "machine": machine(), "repeats": args.repeats, "digits": 6,
                                   "per_call_ms": times}, indent=2) + "\n")


if __name__ == "__main__":
    main()
