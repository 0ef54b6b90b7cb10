"""Shared fixtures. The tests use the real MNIST: `$MNIST_NB_DATA` (then nothing is downloaded), else the Keras cache,
else the project's own verified download into that cache, once."""
import pytest

from mnist_nb.data import MNISTDataError, load_mnist


@pytest.fixture(scope="session")
def mnist():
    "The verified MNIST arrays, keyed like Keras's mnist.npz."
    try:
        (x_train, y_train), (x_test, y_test) = load_mnist()
    except MNISTDataError as e:
        pytest.exit(f"the tests need MNIST: set MNIST_NB_DATA to a folder with the four IDX files, or let them "
                    f"download it once into the Keras cache ({e})", returncode=2)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
