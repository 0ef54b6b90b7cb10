"""Augmented recipes: the one epoch loop of `mnist_nb.training.fit` against `model.fit` on the same pipeline.

    python bench/augmented_speed.py [--recipes half_minute five_minutes handwriting_bn] [--n-train 12000]
                                    [--epochs 3] [--repeats 3]

Until the training chapter had one loop, augmented configs trained through Keras's `model.fit` on the epoch-keyed
`training_dataset` pipeline; now they go through the same compiled epoch loop as the seed, fed by that pipeline. Each
round trains each recipe (on its first `--n-train` training images, for `--epochs` epochs) both ways, each in a fresh
process, alternating: the same model, seed, batches and augmentation. Per run: seconds per epoch (the median over
the epochs after the first, which also traces the graphs) and the final training loss, so that the two sides are seen
to train the same model. Writes bench/augmented_speed.json.
"""
import argparse, json, math, statistics, sys
from dataclasses import replace
from pathlib import Path

from results import machine
from timing import EpochTimes, alternate, in_child, spread

RESULTS = Path(__file__).resolve().parent / "augmented_speed.json"
SIDES = ("loop", "model_fit")


def child(side: str, recipe: str, n_train: int, epochs: int) -> dict:
    "Train `recipe` one way (`side`) in this process and describe the run."
    from mnist_nb.data import normalise
    from mnist_nb.runs import RECIPES
    from mnist_nb.training import fit, load_data, model_for, set_seed, split_validation, training_dataset
    config = replace(RECIPES[recipe], n_train=n_train, epochs=epochs)
    (x, y), _ = load_data(config, scaled=False)
    (x_fit, y_fit), (x_val, y_val) = split_validation(x, y, config.validation_split)
    set_seed(config.seed)
    model, times = model_for(config, len(x_fit)), EpochTimes()
    if side == "loop": history = fit(model, x, y, config, verbose=0, callbacks=[times]).history
    else:  # what `fit` did for augmented configs before it had one loop
        batches = training_dataset(x_fit, y_fit, config.batch_size, True, config.seed, config.writers)
        validation = (normalise(x_val), y_val) if len(x_val) else None
        history = model.fit(batches, epochs=config.epochs, validation_data=validation, shuffle=False,
                            steps_per_epoch=math.ceil(len(x_fit) / config.batch_size), verbose=0,
                            callbacks=[times]).history
    return {"epoch_seconds": statistics.median(times.seconds[1:]), "first_epoch_seconds": times.seconds[0],
            "final_loss": history["loss"][-1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="+", default=["half_minute", "five_minutes", "handwriting_bn"])
    parser.add_argument("--n-train", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("SIDE", "RECIPE", "N_TRAIN", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, recipe, n_train, epochs = args.child
        print(json.dumps(child(side, recipe, int(n_train), int(epochs))))
        return
    command = (f"python bench/augmented_speed.py --recipes {' '.join(args.recipes)} --n-train {args.n_train} "
               f"--epochs {args.epochs} --repeats {args.repeats}")
    results = {"command": command, "machine": machine(), "recipes": {}}
    for recipe in args.recipes:
        sides = {side: (lambda side=side: in_child("augmented_speed.py", "--child", side, recipe,
                                                   str(args.n_train), str(args.epochs))) for side in SIDES}
        runs = alternate(sides, args.repeats)
        summary = {side: {key: spread([run[key] for run in side_runs]) for key in side_runs[0]}
                   for side, side_runs in runs.items()}
        summary["ratio"] = round(summary["loop"]["epoch_seconds"]["median"]
                                 / summary["model_fit"]["epoch_seconds"]["median"], 3)
        summary["same_final_loss"] = [a["final_loss"] == b["final_loss"] for a, b in zip(*runs.values())]
        results["recipes"][recipe] = summary
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'recipe':<16} {'one loop, s/epoch':>20} {'model.fit, s/epoch':>20} {'ratio':>6}  same final loss")
    for recipe, s in results["recipes"].items():
        loop, plain = s["loop"]["epoch_seconds"], s["model_fit"]["epoch_seconds"]
        print(f"{recipe:<16} {loop['median']:>8.2f} ({loop['min']:.2f}–{loop['max']:.2f}) "
              f"{plain['median']:>8.2f} ({plain['min']:.2f}–{plain['max']:.2f}) {s['ratio']:>6.3f}  "
              f"{all(s['same_final_loss'])}")


if __name__ == "__main__":
    sys.exit(main())
