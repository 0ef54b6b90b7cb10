"""What the speed benchmarks share: alternating repetitions, medians with min/max, children measured one by one, and
the README's speed table."""
import json, os, resource, statistics, subprocess, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def spread(values: list) -> dict:
    "The median of `values` with their min and max, rounded for a table."
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4), "max": round(max(values), 4),
            "n": len(values)}


def alternate(sides: dict, repeats: int) -> dict:
    "Call each side (name -> function returning a dict) in turn, `repeats` rounds: name -> its list of results."
    results = {name: [] for name in sides}
    for round_ in range(repeats):
        for name, side in sides.items():
            results[name].append(side())
            print(f"round {round_ + 1}/{repeats} {name}: {results[name][-1]}", file=sys.stderr, flush=True)
    return results


def in_child(script: str, *args: str, timeout: float = 1800) -> dict:
    "Run `python script args…` in a fresh process (its own peak memory) and return the JSON of its last stdout line."
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if done.returncode: raise RuntimeError(f"{script} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status_mb(key: str) -> float:
    "A figure of this process's /proc/self/status (VmRSS, VmHWM: kB), in MB."
    import re
    return int(re.search(rf"{key}:\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024


def peak_above_mb(function, *args) -> tuple:
    """`function(*args)` and the most memory it held above what the process held before, in MB: Linux's peak
    resident memory (VmHWM, what `ru_maxrss` reports) reset to the current one first, so no earlier peak hides it."""
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS
    before = _status_mb("VmRSS")
    result = function(*args)
    return result, _status_mb("VmHWM") - before


def peak_memory_gb() -> float:
    "This process's peak resident memory so far, in GB (Linux reports kilobytes)."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


class EpochTimes:
    "A Keras callback that records each epoch's wall time (made on first use, so that importing this loads no Keras)."
    def __new__(cls):
        import keras

        class _EpochTimes(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds = []

            def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
            def on_epoch_end(self, epoch, logs=None): self.seconds.append(time.perf_counter() - self.start)
        return _EpochTimes()
