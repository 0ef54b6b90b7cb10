"""Phone photos, large and small: what preparing one costs in time and memory, and whether it is read right.

    python bench/prepare_photos.py [--repeats 3]

Photos of MNIST test digits made by `mnist_nb.handwriting.phone_photo`: written with pens 2, 5, 10 and 20 pixels wide,
from 1600 × 1600 pixels to 8160 × 6120 (50 megapixels), as a phone saves them (JPEG), and the phone-sized and the
largest as PNG too (which no decoder can shrink as it reads). For each photo:
- the peak memory `prepare(photo)` takes above the process's own, in a fresh process that has imported
  `mnist_nb.inference` and prepared a small photo: its peak resident memory (VmHWM, which `ru_maxrss` reports), reset
  to its current memory just before, against that current memory (target: ≤ 300 MB);
- the seconds `prepare(photo)` takes, warm, in one process: the median of `--repeats` (target: p50 ≤ 0.5 s over the
  photos);
- the shipped model's answer;
- the same photos read at other working sizes (1,024 and 4,096 pixels, against `WORKING_SIDE`'s 2,048): the share
  the shipped model reads right, and the p50 time, which is why `WORKING_SIDE` is what it is.
Writes bench/prepare_photos.json and the README's table of it (between the `photos:` markers of nbs/index.ipynb).
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

from results import machine, write_section
from timing import in_child, peak_above_mb

RESULTS = Path(__file__).resolve().parent / "prepare_photos.json"
SIZES = [(1600, 1600), (3024, 4032), (4000, 6000), (6120, 8160)]  # (height, width): 2.6, 12, 24 and 50 megapixels
PENS = [2, 5, 10, 20]
AS_PNG = [(3024, 4032), (6120, 8160)]


def photos(folder: Path) -> list:
    "The benchmark's photos, written into `folder`: (path, size, pen, label) each."
    import numpy as np
    from mnist_nb.data import load_mnist
    from mnist_nb.images import phone_photo
    _, (x_test, y_test) = load_mnist()
    rng, made = np.random.default_rng(0), []
    for i, (size, pen) in enumerate((size, pen) for size in SIZES for pen in PENS):
        photo = phone_photo(x_test[i], rng, size, pen)
        for suffix in (".jpg", ".png") if size in AS_PNG and pen == 5 else (".jpg",):
            path = folder / f"{i:02d}-{size[1]}x{size[0]}-pen{pen}{suffix}"
            photo.save(path, quality=90) if suffix == ".jpg" else photo.save(path, compress_level=1)
            made.append((path, size, pen, int(y_test[i])))
        print(f"made {path.name}", file=sys.stderr, flush=True)
    return made


def child(path: str) -> None:
    "In a fresh process: `prepare(path)`'s peak memory above the process's own and its time; the model's answer."
    import numpy as np
    from PIL import Image
    from mnist_nb.inference import predict, prepare
    small = Path(tempfile.mkdtemp()) / "small.jpg"
    Image.fromarray(np.pad(np.full((60, 20), 30, np.uint8), 40, constant_values=220)).save(small)
    prepare(small)                                         # the process's own: imports, and a first small photo
    start = time.perf_counter()
    _, above = peak_above_mb(prepare, path)
    seconds = time.perf_counter() - start
    print(json.dumps({"peak_mb_above_own": round(above, 1), "first_seconds": round(seconds, 3),
                      "digit": predict(path).digit}))


def at_side(side: int, path: Path) -> tuple:
    "The shipped model's answer for `path` and the median seconds of `prepare`, reading at `side` pixels."
    from mnist_nb import inference
    from mnist_nb.model import probabilities
    default, inference.WORKING_SIDE = inference.WORKING_SIDE, side
    try:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            prepared = inference.prepare(path)
            times.append(time.perf_counter() - start)
        return int(probabilities(inference.shipped_model(), prepared[None])[0].argmax()), min(times)
    finally: inference.WORKING_SIDE = default


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed preparations of each photo (default: 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child: return child(args.child)
    from mnist_nb.inference import WORKING_SIDE, prepare
    folder, sides = Path(tempfile.mkdtemp()), sorted({1024, WORKING_SIDE, 4096})
    rows, by_side = [], {side: [] for side in sides}
    for path, (h, w), pen, label in photos(folder):
        measured = in_child("prepare_photos.py", "--child", str(path))
        prepare(path)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            prepare(path)
            times.append(time.perf_counter() - start)
        rows.append({"photo": path.name, "width": w, "height": h, "megapixels": round(w * h / 1e6, 1), "pen": pen,
                     "format": path.suffix[1:].upper().replace("JPG", "JPEG"), "bytes": path.stat().st_size,
                     "seconds": round(statistics.median(times), 3), **measured, "label": label,
                     "right": measured["digit"] == label})
        for side in sides: by_side[side].append(at_side(side, path) + (label,))
        print(rows[-1], flush=True)
        path.unlink()
    seconds, peaks = [r["seconds"] for r in rows], [r["peak_mb_above_own"] for r in rows]
    summary = {"photos": len(rows), "p50_seconds": round(statistics.median(seconds), 3), "max_seconds": max(seconds),
               "max_peak_mb_above_own": max(peaks), "right": sum(r["right"] for r in rows)}
    summary["working_sides"] = {side: {"right": sum(d == label for d, _, label in answers),
                                       "p50_seconds": round(statistics.median(t for _, t, _ in answers), 3)}
                                for side, answers in by_side.items()}
    summary["working_side"] = WORKING_SIDE
    results = {"command": "python bench/prepare_photos.py", "machine": machine(), "summary": summary, "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_section("photos", table(results))
    print(table(results))


def table(results: dict) -> str:
    "The README's table: per size and format, the slowest and the most memory over its pens."
    m, s = results["machine"], results["summary"]
    lines = [f"Measured by `{results['command']}` ({m['date']}, {m['cores']} CPU cores, {m['cpu']}): "
             f"`prepare` on {s['photos']} photos of MNIST test digits written with pens 2 to 20 pixels wide, the "
             f"median of warm runs; peak memory above the process's own, each photo in a fresh process. Over all "
             f"photos: p50 {s['p50_seconds']:.2f} s, at most {s['max_seconds']:.2f} s and "
             f"{s['max_peak_mb_above_own']:.0f} MB; the shipped model read {s['right']} of {s['photos']} right.", "",
             "| photo | format | pens | time, p50 (slowest) | peak memory above the process's own (most) |",
             "|---|---|---|---|---|"]
    groups = {}
    for r in results["rows"]: groups.setdefault((r["width"], r["height"], r["format"]), []).append(r)
    for (w, h, kind), group in groups.items():
        times, peaks = [r["seconds"] for r in group], [r["peak_mb_above_own"] for r in group]
        pens = ", ".join(str(r["pen"]) for r in group)
        lines.append(f"| {w} × {h} ({w * h / 1e6:.0f} MP) | {kind} | {pens} px | {statistics.median(times):.3f} s "
                     f"({max(times):.3f}) | {statistics.median(peaks):.0f} MB ({max(peaks):.0f}) |")
    sides = "; ".join(f"{int(side):,} pixels: {r['right']} right, p50 {r['p50_seconds']:.2f} s"
                      for side, r in s["working_sides"].items())
    lines += ["", f"Read at other working sizes (`WORKING_SIDE` is {s['working_side']:,}): {sides}."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
