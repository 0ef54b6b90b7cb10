"""Fuzz the readers and `prepare` at length: the suite's Hypothesis properties (tests/test_fuzz.py), with thousands of
examples each instead of 100, then a table of what was thrown at each and what came back, per kind of input.

    python bench/fuzz.py [--examples 4000]      # about a minute on 2 cores; writes bench/fuzz.json

Every example must end in a result or the documented error (`MNISTDataError`, `ImageInputError`) with a bounded peak
of memory; pytest fails otherwise, and so does this script."""
import argparse, collections, json, os, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=4000, help="examples per property (default: 4000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = os.environ | {"MNIST_NB_FUZZ_EXAMPLES": str(args.examples), "MNIST_NB_FUZZ_REPORT": str(report)}
        start = time.perf_counter()
        pytest = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 str(HERE.parent / "tests" / "test_fuzz.py")], env=env)
        rows = json.loads(report.read_text()) if report.exists() else []
    seconds = time.perf_counter() - start
    kinds = collections.defaultdict(collections.Counter)
    for row in rows: kinds[(row["property"], row["input"])][row["outcome"]] += row["examples"]
    total = sum(row["examples"] for row in rows)
    print(f"\n{total:,} examples in {seconds:.0f} s; pytest exit code {pytest.returncode}\n")
    print(f"{'property':<9} {'input':<20} {'examples':>8}  outcomes")
    for (prop, kind), outcomes in sorted(kinds.items()):
        listed = "; ".join(f"{n:,} {outcome}" for outcome, n in outcomes.most_common())
        print(f"{prop:<9} {kind:<20} {sum(outcomes.values()):>8,}  {listed}")
    (HERE / "fuzz.json").write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "examples": total,
                                                "seconds": round(seconds), "pytest_exit_code": pytest.returncode,
                                                "outcomes": rows}, indent=1) + "\n")
    return pytest.returncode


if __name__ == "__main__":
    sys.exit(main())
