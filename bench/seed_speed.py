"""The seed config: `mnist_nb`'s training against the seed notebook's own code, side by side.

    python bench/seed_speed.py [--repeats 3]

Each round trains the seed's recipe to convergence twice, each in a fresh process, alternating: the seed notebook's
code (bench/seed_notebook.py) and `mnist_nb.training.train(TrainConfig(seed=42 + round))`; the same hyper-parameters
(batch 32, Adam 0.001, L2, dropout, validation split 0.2, early stopping). The seed code is not seeded, so each of its
runs draws other weights and batches; `mnist_nb`'s runs take a new seed each round, so the two accuracies compare
like with like. Per run: seconds per epoch (the median over the epochs
after the first, which also traces the graphs), the first epoch's, the epochs early stopping allowed, the test
accuracy and the process's peak memory; and the peak memory of `import tensorflow, keras` alone. Writes
bench/seed_speed.json and the README's speed table.
"""
import argparse, json, statistics, sys, tempfile
from pathlib import Path

from results import machine
from speed_table import print_rows, write_speed_table
from timing import EpochTimes, alternate, in_child, peak_memory_gb, spread

RESULTS = Path(__file__).resolve().parent / "seed_speed.json"


def child(side: str, seed: int) -> dict:
    "Train one side in this process (`mnist_nb` with `seed`) and describe the run."
    if side == "import":
        import keras, tensorflow  # noqa: F401
        return {"peak_gb": peak_memory_gb()}
    times = EpochTimes()
    if side == "seed_notebook":
        from seed_notebook import seed_notebook
        history, accuracy = seed_notebook([times])
        epochs = len(history.history["loss"])
    else:
        from mnist_nb.runs import train
        from mnist_nb.training import TrainConfig
        with tempfile.TemporaryDirectory() as tmp:
            run = train(TrainConfig(seed=seed), Path(tmp) / "run", verbose=0, callbacks=[times])
        accuracy, epochs = run.metrics["test_accuracy"], run.metrics["epochs"]
    return {"epoch_seconds": statistics.median(times.seconds[1:]), "first_epoch_seconds": times.seconds[0],
            "fit_seconds": sum(times.seconds), "epochs": epochs, "test_accuracy": accuracy, "peak_gb": peak_memory_gb()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the two sides (default: 3)")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    seeds = iter(range(42, 42 + args.repeats))
    runs = alternate({"seed_notebook": lambda: in_child("seed_speed.py", "--child", "seed_notebook", "0"),
                      "mnist_nb": lambda: in_child("seed_speed.py", "--child", "mnist_nb", str(next(seeds)))},
                     args.repeats)
    imports = [in_child("seed_speed.py", "--child", "import", "0")["peak_gb"] for _ in range(args.repeats)]
    sides = {side: {key: spread([run[key] for run in side_runs]) for key in side_runs[0]}
             for side, side_runs in runs.items()}
    ratio = sides["mnist_nb"]["epoch_seconds"]["median"] / sides["seed_notebook"]["epoch_seconds"]["median"]
    results = {"command": f"python bench/seed_speed.py --repeats {args.repeats}", "machine": machine(),
               "sides": sides, "runs": runs, "import_peak_gb": spread(imports), "epoch_seconds_ratio": round(ratio, 3)}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_speed_table()
    print_rows("seed_speed.py")


if __name__ == "__main__":
    sys.exit(main())
