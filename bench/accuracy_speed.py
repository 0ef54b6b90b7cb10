"""Time to a test accuracy: the `quick` and `half_minute` recipes against the keras-io convnet example's code.

    python bench/accuracy_speed.py [--seeds 5] [--reference-runs 3]

The reference is the keras-io "Simple MNIST convnet" code (bench/keras_io_convnet.py) with a callback that scores
the 10,000 test images after each epoch, clock stopped: its time to 99.0 % is the training time up to the first
epoch that reaches it (the run stops there). Ours are the recipes as `mnist_nb train --recipe R --seed K` trains them,
each seed once; a recipe's time is its `fit` wall time, and it reaches its target if the finished model does. The
runs alternate (reference, quick, half_minute, reference, …), each in a fresh process. Writes
bench/accuracy_speed.json and the README's speed table.
"""
import argparse, json, sys, tempfile, time
from dataclasses import replace
from pathlib import Path

from results import machine
from speed_table import print_rows, write_speed_table
from timing import in_child, spread

RESULTS = Path(__file__).resolve().parent / "accuracy_speed.json"
GOALS = {"quick": (0.99, 1 / 15), "half_minute": (0.995, 1 / 2)}  # recipe -> (its target accuracy, its time budget)


def reference_child() -> dict:
    "Train the keras-io convnet until its test accuracy reaches 99.0 % (or its 15 epochs end)."
    import keras
    import numpy as np
    from keras_io_convnet import keras_io_convnet
    from mnist_nb.data import load_mnist
    _, (x_test, y_test) = load_mnist()
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)

    class TestClock(keras.callbacks.Callback):
        "Training seconds so far and the test accuracy after each epoch; the scoring itself is not timed."
        seconds, epochs = 0.0, []
        def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None):
            TestClock.seconds += time.perf_counter() - self.start
            accuracy = float(np.mean(self.model.predict(x_test, batch_size=1000, verbose=0).argmax(1) == y_test))
            TestClock.epochs.append({"seconds": round(TestClock.seconds, 2), "test_accuracy": accuracy})
            self.model.stop_training = accuracy >= 0.99

    keras_io_convnet([TestClock()])
    reached = [e for e in TestClock.epochs if e["test_accuracy"] >= 0.99]
    return {"seconds_to_99": reached[0]["seconds"] if reached else None, "epochs": TestClock.epochs}


def recipe_child(recipe: str, seed: int) -> dict:
    from mnist_nb.runs import RECIPES, train
    with tempfile.TemporaryDirectory() as tmp:
        run = train(replace(RECIPES[recipe], seed=seed), Path(tmp) / "run", verbose=0)
    return {"seed": seed, "seconds": run.metrics["train_seconds"], "test_accuracy": run.metrics["test_accuracy"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="seeds per recipe (default: 5)")
    parser.add_argument("--reference-runs", type=int, default=3, help="runs of the keras-io code (default: 3)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = reference_child() if args.child[0] == "keras_io" else recipe_child(args.child[0], int(args.child[1]))
        print(json.dumps(result))
        return
    reference, ours = [], {recipe: [] for recipe in GOALS}
    for k in range(max(args.seeds, args.reference_runs)):
        if k < args.reference_runs:
            reference.append(in_child("accuracy_speed.py", "--child", "keras_io"))
            print("keras_io", reference[-1]["seconds_to_99"], file=sys.stderr, flush=True)
        for recipe in GOALS if k < args.seeds else ():
            ours[recipe].append(in_child("accuracy_speed.py", "--child", recipe, str(k)))
            print(recipe, ours[recipe][-1], file=sys.stderr, flush=True)
    to_99 = [r["seconds_to_99"] for r in reference if r["seconds_to_99"] is not None]
    rows = []
    for recipe, (target, budget) in GOALS.items():
        runs = ours[recipe]
        seconds = spread([r["seconds"] for r in runs])
        rows.append({"recipe": recipe, "target": target, "goal": f"≤ 1/{round(1 / budget)}", "seeds": len(runs),
                     "reached": sum(r["test_accuracy"] >= target for r in runs),
                     "seconds": seconds, "test_accuracy": spread([r["test_accuracy"] for r in runs]),
                     "ratio": round(seconds["median"] / spread(to_99)["median"], 4), "runs": runs})
    results = {"command": "python bench/accuracy_speed.py", "machine": machine(),
               "keras_io": {"seconds_to_99": spread(to_99), "runs": reference,
                            "reached_99": f"{len(to_99)} of {len(reference)}"}, "recipes": rows}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_speed_table()
    print_rows("accuracy_speed.py")


if __name__ == "__main__":
    sys.exit(main())
