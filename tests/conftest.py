"""Shared fixtures. The tests use the real MNIST and never download it: they read `$MNIST_NB_DATA` or the Keras cache."""
import pytest

from mnist_nb.data import MNISTDataError, load_mnist


@pytest.fixture(scope="session")
def mnist():
    "The verified MNIST arrays, keyed like Keras's mnist.npz."
    try:
        (x_train, y_train), (x_test, y_test) = load_mnist(download=False)
    except MNISTDataError as e:
        pytest.exit(f"MNIST is needed and the tests never download it: set MNIST_NB_DATA to a folder with the four "
                    f"IDX files, or fill the Keras cache first ({e})", returncode=2)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
