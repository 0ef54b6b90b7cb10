"""The real `mnist_nb` console script, end to end, in subprocesses: training, evaluation, bad input, interruption."""
import dataclasses, json, os, re, signal, subprocess, sys, time
from pathlib import Path

import pytest

from test_data import write_idx_dir

ENV = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}  # as a user has it


def mnist_nb(*args, cwd=None) -> subprocess.CompletedProcess:
    "Run the installed console script with `args`; capture its output."
    return subprocess.run(["mnist_nb", *map(str, args)], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300)


def test_help_lists_the_commands_and_every_config_field():
    top = mnist_nb("--help")
    assert top.returncode == 0 and "train" in top.stdout and "evaluate" in top.stdout and top.stderr == ""
    train = mnist_nb("train", "--help")
    assert train.returncode == 0 and train.stderr == ""  # TensorFlow loads for train's options, silently
    from mnist_nb.training import TrainConfig
    for field in dataclasses.fields(TrainConfig):
        assert "--" + field.name.replace("_", "-") in train.stdout, field.name
    assert "--no-augment" in train.stdout and "images per training step, on each replica when distributed (seed: 32)" in " ".join(train.stdout.split())
    assert mnist_nb("evaluate", "--help").returncode == 0


def test_usage_errors_exit_2():
    result = mnist_nb("fly")
    assert result.returncode == 2 and "invalid choice: 'fly'" in result.stderr
    assert mnist_nb("train", "--epochs", "many").returncode == 2


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    "A short real training run through the console script: 3,000 digits, 3 epochs."
    run_dir = tmp_path_factory.mktemp("runs") / "quick"
    result = mnist_nb("train", "--n-train", 3000, "--epochs", 3, "--seed", 3, "--run-dir", run_dir)
    return run_dir, result


def test_train_prints_accuracy_and_saves_a_complete_run(trained_run):
    run_dir, result = trained_run
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Epoch 3/3$", result.stdout, re.M)  # one progress line per epoch
    printed = float(re.search(r"test accuracy (\d+\.\d+)%", result.stdout.splitlines()[-1]).group(1))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert printed == pytest.approx(100 * metrics["test_accuracy"], abs=0.006)
    assert metrics["test_accuracy"] > 0.85 and metrics["epochs"] == 3 and metrics["params"] == 407_050
    assert json.loads((run_dir / "config.json").read_text())["n_train"] == 3000
    assert (run_dir / "history.csv").read_text().count("\n") == 4  # header and three epochs
    assert not run_dir.with_name("quick.partial").exists()


def test_evaluate_json_agrees_with_training_and_writes_figures(trained_run):
    run_dir, _ = trained_run
    result = mnist_nb("evaluate", run_dir, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert report["test_accuracy"] == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    assert report["errors"] == round((1 - metrics["test_accuracy"]) * 10000)
    for figure in report["figures"]:
        assert Path(figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Path(figure).stat().st_size > 10_000


def test_an_existing_run_is_never_overwritten(trained_run):
    run_dir, _ = trained_run
    before = (run_dir / "model.keras").read_bytes()
    result = mnist_nb("train", "--n-train", 500, "--epochs", 1, "--run-dir", run_dir)
    assert result.returncode == 2 and "run directory exists already" in result.stderr
    assert (run_dir / "model.keras").read_bytes() == before


def test_corrupt_data_is_one_clear_line_and_no_run(tmp_path, mnist):
    data = write_idx_dir(tmp_path / "data", mnist)
    (data / "train-labels-idx1-ubyte").write_bytes((data / "train-labels-idx1-ubyte").read_bytes()[:-10])
    result = mnist_nb("train", "--data-dir", data, "--run-dir", tmp_path / "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("mnist_nb train: error: ")
    assert "train-labels-idx1-ubyte: sha256 65a50cbbf4e9… expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_not_a_run_and_bad_values_exit_2(tmp_path):
    result = mnist_nb("evaluate", tmp_path)
    assert result.returncode == 2 and "not a complete run directory" in result.stderr
    result = mnist_nb("train", "--validation-split", "1.5")
    assert result.returncode == 2 and "validation_split: expected a fraction from 0 up to 1, got 1.5" in result.stderr


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def epochs_done(partial: Path) -> int:
    "How many epochs the run training into `partial` has checkpointed (0 before the first)."
    from mnist_nb.runs import CHECKPOINT, _read_checkpoint
    try: return _read_checkpoint(partial / CHECKPOINT)[1].get("epochs", 0)
    except (OSError, ValueError): return 0  # not there yet


def stop(process: subprocess.Popen, sig) -> str:
    "Send `sig` to `process` until it ends (a Ctrl-C can go unheard under load, and a user presses it again); its stderr."
    for _ in range(10):
        process.send_signal(sig)
        try: return process.communicate(timeout=6)[1]
        except subprocess.TimeoutExpired: continue
    raise AssertionError("the process did not stop")


def hears_ctrl_c() -> None:
    """In a child before it starts: Ctrl-C delivered and not ignored, as in a user's terminal. A child inherits its
    parent's blocked and ignored signals, and in the full suite something in this process blocks SIGINT (the run
    then never hears it and trains to the end)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_the_checkpoint_and_says_how_to_go_on(tmp_path):
    "Ctrl-C in a real training process: exit 130, no run directory, and the partial run kept with its checkpoint."
    run_dir = tmp_path / "run"
    process = subprocess.Popen(["mnist_nb", "train", "--n-train", "20000", "--run-dir", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                               preexec_fn=hears_ctrl_c)
    wait_for(lambda: epochs_done(tmp_path / "run.partial") >= 1)
    stderr = stop(process, signal.SIGINT)
    assert process.returncode == 130 and not run_dir.exists()
    assert stderr.strip().splitlines()[-1] == (f"mnist_nb train: interrupted; `mnist_nb train --resume {run_dir}` "
                                               "goes on from the last completed epoch")
    assert (tmp_path / "run.partial" / "checkpoint.npz").is_file()


def test_a_killed_run_goes_on_to_the_uninterrupted_result(tmp_path):
    """SIGKILL mid-run, then the same command again: it goes on from the last completed epoch and ends with the same
    history, weights and test accuracy as a run never interrupted. Meanwhile a second `train` into the same run
    directory is refused (the lock), and `runs` lists the unfinished run."""
    args = ["--n-train", 20000, "--epochs", 30, "--patience", 30, "--seed", 4, "--quiet"]  # long enough to be caught
    whole = subprocess.Popen(["mnist_nb", "train", *map(str, args), "--run-dir", str(tmp_path / "whole")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    command = ["mnist_nb", "train", *map(str, args), "--run-dir", str(tmp_path / "cut")]
    killed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for(lambda: epochs_done(tmp_path / "cut.partial") >= 2)
    second = mnist_nb("train", *args, "--run-dir", tmp_path / "cut")
    assert second.returncode == 2 and second.stderr.endswith("cut.partial: another process is training this run "
                                                             "(expected a run directory no other training uses)\n")
    killed.kill(); killed.wait()
    done = epochs_done(tmp_path / "cut.partial")
    assert 2 <= done < 30 and not (tmp_path / "cut").exists()
    row = next(line for line in mnist_nb("runs", tmp_path).stdout.splitlines() if "cut.partial" in line)
    assert row.split()[:3] == [str(tmp_path / "cut.partial"), "-", str(done)] and "interrupted" in row
    resumed = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert whole.wait(timeout=300) == 0, whole.stderr.read()
    assert (tmp_path / "cut" / "history.csv").read_text() == (tmp_path / "whole" / "history.csv").read_text()
    metrics = [json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("cut", "whole")]
    assert metrics[0]["test_accuracy"] == metrics[1]["test_accuracy"] and metrics[0]["epochs"] == 30
    import keras
    for ours, theirs in zip(*(keras.saving.load_model(tmp_path / name / "model.keras").get_weights()
                              for name in ("cut", "whole"))):
        assert (ours == theirs).all()
    assert sorted(p.name for p in (tmp_path / "cut").iterdir()) == sorted(p.name for p in (tmp_path / "whole").iterdir())


def test_a_recipe_trains_and_runs_evaluate_as_an_ensemble(tmp_path, trained_run):
    seed_run, _ = trained_run
    result = mnist_nb("train", "--recipe", "quick", "--n-train", 6000, "--run-dir", tmp_path / "quick", "--quiet")
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "quick" / "config.json").read_text())
    assert (config["model"], config["schedule"], config["epochs"]) == ("cnn_lenet", "one_cycle", 1)
    assert config["n_train"] == 6000
    quick_accuracy = json.loads((tmp_path / "quick" / "metrics.json").read_text())["test_accuracy"]
    result = mnist_nb("evaluate", seed_run, tmp_path / "quick", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["run_dirs"] == [str(seed_run), str(tmp_path / "quick")] and report["figures"] == []
    assert report["test_accuracy"] > 0.85 and quick_accuracy > 0.85


def test_an_unknown_recipe_exits_2():
    result = mnist_nb("train", "--recipe", "fastest")
    assert result.returncode == 2
    assert "recipe: expected one of seed, keras_io, quick, half_minute, five_minutes, best, handwriting_strided, " \
           "handwriting_bn, robust_strided, robust_bn, row_reader, got 'fastest'" in result.stderr


def test_read_gives_the_number_its_digits_and_boxes(tmp_path, mnist):
    import numpy as np
    from PIL import Image
    from mnist_nb.images import compose_number
    row = 255 - np.pad(compose_number(mnist["x_test"][10:15], [0.3] * 4, np.random.default_rng(0)), 16)
    Image.fromarray(row).resize((row.shape[1] * 3, row.shape[0] * 3)).save(tmp_path / "number.png")
    expected = "".join(map(str, mnist["y_test"][10:15]))
    table = mnist_nb("read", tmp_path / "number.png")
    assert table.returncode == 0 and table.stderr == "" and table.stdout.splitlines()[1].split()[1] == expected
    result = json.loads(mnist_nb("read", tmp_path / "number.png", "--json").stdout)
    assert [r["number"] for r in result] == [expected] and len(result[0]["digits"]) == 5
    lefts = [d["box"][0] for d in result[0]["digits"]]
    assert lefts == sorted(lefts) and all(0 <= d["probability"] <= 1 for d in result[0]["digits"])


def test_read_and_serve_refuse_bad_input_with_exit_2(tmp_path):
    import socket
    (tmp_path / "note.png").write_text("not an image")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0)); taken.listen()
    port = taken.getsockname()[1]
    for args, message in [(("read", tmp_path / "note.png"), "note.png: not an image"),
                          (("serve", "--port", port), f"--port {port}: cannot listen there (expected a free port"),
                          (("serve", "--port", "70000"), "--port: expected 1 to 65535, got 70000"),
                          (("serve", "--run", tmp_path / "nothing"), "no model found")]:
        result = mnist_nb(*args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
