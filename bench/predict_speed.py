"""Prediction speed: the public `predict` and `probabilities` against the `model.predict` calls they replaced.

    python bench/predict_speed.py [--repeats 200]

For three models (the seed's MLP, `cnn_strided`, and the shipped two-network model), side by side in alternating
blocks of 20 calls (a program that predicts calls `predict` again and again, not between other work):
- a photo file (20 photographed MNIST test digits, JPEG, a few hundred pixels a side) through `predict(file, model)`,
  against the same preparation followed by `model.predict` (what `predict` did before); p50 and p90 in ms;
- an already prepared 28×28 batch of one through `probabilities(model, x)` against `model.predict(x)`;
- preparation alone (`prepare(file)`);
- throughput on the 10,000 prepared test digits, batches of 256: `probabilities` against `model.predict`.
Writes bench/predict_speed.json and the README's speed table.
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

from results import machine
from speed_table import print_rows, write_speed_table

RESULTS = Path(__file__).resolve().parent / "predict_speed.json"


def per_call_ms(sides: dict, inputs: list, repeats: int, block: int = 20) -> dict:
    "Each side `repeats` times, in alternating blocks of `block` calls, one input after another: name -> p50, p90 (ms)."
    times = {name: [] for name in sides}
    for name, side in sides.items(): side(inputs[0])  # traces and caches what a first call sets up
    for k in range(0, repeats, block):
        for name, side in sides.items():
            for i in range(k, min(k + block, repeats)):
                start = time.perf_counter()
                side(inputs[i % len(inputs)])
                times[name].append(1000 * (time.perf_counter() - start))
    return {name: {"p50": round(statistics.median(t), 3), "p90": round(statistics.quantiles(t, n=10)[-1], 3)}
            for name, t in times.items()}


def throughput(sides: dict, images, rounds: int = 3) -> dict:
    "Images per second of each side on `images`, alternating, the median of `rounds`."
    rates = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            start = time.perf_counter()
            side(images)
            rates[name].append(len(images) / (time.perf_counter() - start))
    return {name: round(statistics.median(r)) for name, r in rates.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=200, help="calls per side and figure (default: 200)")
    args = parser.parse_args()
    import numpy as np
    from mnist_nb.data import load_mnist, normalise
    from mnist_nb.images import photograph
    from mnist_nb.inference import load_model, predict, prepare, probabilities
    from mnist_nb.model import build_model
    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp())
    photos = []
    for i in range(20):
        photos.append(tmp / f"{i}.jpg")
        photograph(x_test[i], rng).convert("RGB").save(photos[-1])
    prepared = normalise(x_test)
    models = {"seed_mlp": build_model("seed_mlp"), "cnn_strided": build_model("cnn_strided"),
              "shipped": load_model()}
    results = {"command": "python bench/predict_speed.py", "machine": machine(), "models": {}, "rows": []}
    prepare_ms = per_call_ms({"prepare": prepare}, photos, args.repeats)["prepare"]
    for name, model in models.items():
        photo = per_call_ms({"predict": lambda f: predict(f, model),
                             "model.predict": lambda f: model.predict(prepare(f)[None], verbose=0)},
                            photos, args.repeats)
        one = per_call_ms({"probabilities": lambda x: probabilities(model, x),
                           "model.predict": lambda x: model.predict(x, verbose=0)},
                          [prepared[i:i + 1] for i in range(20)], args.repeats)
        rate = throughput({"probabilities": lambda x: probabilities(model, x),
                           "model.predict": lambda x: model.predict(x, batch_size=256, verbose=0)}, prepared)
        results["models"][name] = {"photo_ms": photo, "batch_of_one_ms": one, "images_per_second": rate}
        print(name, results["models"][name], flush=True)
        results["rows"] += [
            (f"`predict(photo_file)`, p50, {name}", f"{photo['predict']['p50']:.1f} ms",
             f"preparation + `model.predict`: {photo['model.predict']['p50']:.1f} ms",
             f"{photo['predict']['p50'] / photo['model.predict']['p50']:.2f}", "≤ 5 ms"),
            (f"prepared batch of one, p50, {name}", f"{one['probabilities']['p50']:.2f} ms",
             f"`model.predict`: {one['model.predict']['p50']:.1f} ms",
             f"{one['probabilities']['p50'] / one['model.predict']['p50']:.2f}", "≤ 1 ms"),
            (f"throughput, batches of 256, {name}", f"{rate['probabilities']:,} images/s",
             f"`model.predict`: {rate['model.predict']:,} images/s", "", "reported")]
    results["rows"].append(("`prepare(photo_file)` alone, p50", f"{prepare_ms['p50']:.1f} ms", "", "", ""))
    results["rows"] = [dict(zip(("figure", "ours", "reference", "ratio", "target"), row)) for row in results["rows"]]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_speed_table()
    print_rows("predict_speed.py")


if __name__ == "__main__":
    sys.exit(main())
