"""How the seed config's epoch time grows with the training-set size and the batch size.

    python bench/epoch_speed.py [--repeats 2]

Trains the seed's model with `mnist_nb` on 10,000, 30,000 and 60,000 images (80 % of them fitted, 20 % validated, as
the seed does) at batch sizes 32 (the seed's), 128 and 512: three epochs each, and the median of the epochs after the
first is the figure; the grid is measured `--repeats` times, in turn. Writes bench/epoch_speed.json and the plot
nbs/images/epoch_speed.png, and updates the README's speed table.
"""
import argparse, json, statistics, sys
from dataclasses import replace
from pathlib import Path

from results import machine
from speed_table import write_speed_table
from timing import EpochTimes, spread

ROOT = Path(__file__).resolve().parent.parent
RESULTS, PLOT = ROOT / "bench" / "epoch_speed.json", ROOT / "nbs" / "images" / "epoch_speed.png"
SIZES, BATCHES = (10_000, 30_000, 60_000), (32, 128, 512)


def epoch_seconds(n_train: int, batch_size: int) -> float:
    "The median seconds per epoch (after the first) of the seed config on `n_train` images in batches of `batch_size`."
    from mnist_nb.training import TrainConfig, fit, load_data, model_for, set_seed, split_validation
    config = replace(TrainConfig(), n_train=n_train, batch_size=batch_size, epochs=3, patience=None)
    set_seed(config.seed)
    (x, y), _ = load_data(config, scaled=False)
    times = EpochTimes()
    fit(model_for(config, len(split_validation(x, y, config.validation_split)[0][0])), x, y, config, verbose=0,
        callbacks=[times])
    return statistics.median(times.seconds[1:])


def plot(grid: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for batch in BATCHES:
        ax.plot([n // 1000 for n in SIZES], [grid[f"{n}/{batch}"]["median"] for n in SIZES], "o-",
                label=f"batch {batch}" + (" (the seed's)" if batch == 32 else ""))
    ax.set(xlabel="training images (thousands; 80 % fitted, 20 % validated)", ylabel="seconds per epoch",
           title="Seed config with mnist_nb: epoch time", xticks=[n // 1000 for n in SIZES], ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2, help="times to measure the grid (default: 2)")
    args = parser.parse_args()
    seconds = {f"{n}/{b}": [] for n in SIZES for b in BATCHES}
    for _ in range(args.repeats):
        for key in seconds:
            seconds[key].append(epoch_seconds(*map(int, key.split("/"))))
            print(key, round(seconds[key][-1], 3), file=sys.stderr, flush=True)
    grid = {key: spread(values) for key, values in seconds.items()}
    RESULTS.write_text(json.dumps({"command": "python bench/epoch_speed.py", "machine": machine(),
                                   "seconds_per_epoch": grid}, indent=2) + "\n")
    plot(grid)
    write_speed_table()
    print("seconds per epoch (median), by training images and batch size:")
    for key, figure in grid.items(): print(f"{key:>12}  {figure['median']:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
