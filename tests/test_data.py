"""Every source `load_mnist` reads, and every way a source can be wrong: real files, a real HTTP download (loopback)."""
import functools, gzip, hashlib, http.server, threading
from pathlib import Path

import numpy as np
import pytest

from mnist_nb.data import (MNIST_SHA256, NPZ_KEYS, MNISTDataError, _idx_header, download_mnist, keras_cache_path,
                           load_mnist)


def write_idx_dir(folder: Path, arrays: dict, compress: bool = False) -> Path:
    "Write `arrays` as the four IDX files (raw or .gz) into `folder`."
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in NPZ_KEYS.items():
        content = _idx_header(arrays[key]) + arrays[key].tobytes()
        (folder / (name + ".gz" if compress else name)).write_bytes(gzip.compress(content, 1) if compress else content)
    return folder


def as_tuple(arrays: dict):
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def test_raw_idx_folder_gives_the_published_arrays(tmp_path, mnist):
    loaded = load_mnist(write_idx_dir(tmp_path, mnist))
    for got, expected in zip(sum(loaded, ()), sum(as_tuple(mnist), ())):
        assert got.dtype == np.uint8 and np.array_equal(got, expected)
    for key, name in NPZ_KEYS.items():  # content hashes, not just equality with what the fixture read
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == MNIST_SHA256[name]


@pytest.mark.parametrize("name", list(MNIST_SHA256))
def test_a_changed_byte_is_caught_and_named(tmp_path, mnist, name):
    write_idx_dir(tmp_path, mnist)
    path = tmp_path / name
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(MNISTDataError, match=rf"{name}: sha256 {MNIST_SHA256[name][:12]}… expected for {name}, got "):
        load_mnist(tmp_path)


def test_truncated_gzip_is_caught(tmp_path, mnist):
    write_idx_dir(tmp_path, mnist, compress=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(MNISTDataError, match=r"train-images-idx3-ubyte.gz: cannot read train-images-idx3-ubyte"):
        load_mnist(tmp_path)


def test_swapped_files_are_caught(tmp_path, mnist):
    write_idx_dir(tmp_path, mnist)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes((tmp_path / "train-labels-idx1-ubyte").read_bytes())
    with pytest.raises(MNISTDataError, match=r"t10k-labels-idx1-ubyte: sha256 ff7bcfd416de… expected"):
        load_mnist(tmp_path)


def test_missing_file_is_named(tmp_path, mnist):
    write_idx_dir(tmp_path, mnist)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    expected = r"t10k-images-idx3-ubyte\[.gz\] not found \(expected the four MNIST IDX files or mnist.npz\)"
    with pytest.raises(MNISTDataError, match=expected):
        load_mnist(tmp_path)


def test_npz_checked_by_content(tmp_path, mnist):
    np.savez(tmp_path / "mnist.npz", **mnist)
    assert np.array_equal(load_mnist(tmp_path)[1][1], mnist["y_test"])
    assert np.array_equal(load_mnist(tmp_path / "mnist.npz")[0][0], mnist["x_train"])
    np.savez(tmp_path / "mnist.npz", **{**mnist, "y_test": mnist["y_test"].astype(np.int64)})
    with pytest.raises(MNISTDataError, match=r"mnist.npz\[y_test\]: dtype int64, expected uint8"):
        load_mnist(tmp_path)
    np.savez(tmp_path / "mnist.npz", **{**mnist, "x_test": mnist["x_test"].astype(np.float64)})  # larger than MNIST
    with pytest.raises(MNISTDataError, match=r"mnist.npz: 109,831,002 bytes \(expected at most 56,014,960\)"):
        load_mnist(tmp_path)
    np.savez(tmp_path / "mnist.npz", x_train=mnist["x_train"])
    with pytest.raises(MNISTDataError, match=r"array 'y_train' missing"):
        load_mnist(tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(MNISTDataError, match=r"mnist.npz: cannot read it as an .npz file"):
        load_mnist(tmp_path)


def test_keras_cache_is_used_when_no_folder_is_given(tmp_path, mnist, monkeypatch):
    monkeypatch.delenv("MNIST_NB_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert keras_cache_path() == tmp_path / "datasets" / "mnist.npz"
    with pytest.raises(MNISTDataError, match=r"no MNIST data: pass data_dir, set MNIST_NB_DATA, or put mnist.npz at"):
        load_mnist(download=False)
    keras_cache_path().parent.mkdir()
    np.savez_compressed(keras_cache_path(), **mnist)
    assert np.array_equal(load_mnist(download=False)[1][0], mnist["x_test"])


@pytest.fixture
def server(tmp_path):
    "A real HTTP server on 127.0.0.1 serving the folder `tmp_path/www`; yields (folder, base URL)."
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_lands_verified_in_the_cache(tmp_path, mnist, server):
    www, url = server
    np.savez_compressed(www / "mnist.npz", **mnist)
    dest = tmp_path / "cache" / "datasets" / "mnist.npz"
    assert download_mnist(dest, origin=f"{url}/mnist.npz", sha256=sha256_of(www / "mnist.npz")) == dest
    assert dest.read_bytes() == (www / "mnist.npz").read_bytes()
    assert [p.name for p in dest.parent.iterdir()] == ["mnist.npz"]  # no temporary files left behind


@pytest.mark.parametrize("fault", ["truncated", "wrong hash", "not MNIST", "missing"])
def test_failed_download_leaves_nothing_in_the_cache(tmp_path, mnist, server, fault):
    www, url = server
    wrong = {**mnist, "y_test": mnist["y_test"][::-1].copy()}
    np.savez(www / "mnist.npz", **(mnist if fault != "not MNIST" else wrong))
    sha256 = sha256_of(www / "mnist.npz")
    if fault == "truncated": (www / "mnist.npz").write_bytes((www / "mnist.npz").read_bytes()[:1_000_000])
    if fault == "wrong hash": sha256 = "0" * 64
    if fault == "missing": (www / "mnist.npz").unlink()
    dest = tmp_path / "cache" / "mnist.npz"
    with pytest.raises(MNISTDataError, match="sha256|download failed"):
        download_mnist(dest, origin=f"{url}/mnist.npz", sha256=sha256)
    assert list(dest.parent.iterdir()) == []
