"""The keras-io "Simple MNIST convnet" example's code, as it trains: the reference of bench/accuracy_speed.py.

Verbatim (https://keras.io/examples/vision/mnist_convnet/) but for two marked lines: MNIST comes from
`mnist_nb.data.load_mnist` (the arrays `keras.datasets.mnist.load_data()` returns, without a download), and the
bench's callback is added, which scores the test set after each epoch with the clock stopped.
"""
import keras
import numpy as np
from keras import layers


def keras_io_convnet(callbacks=()):
    from mnist_nb.data import load_mnist  # changed: the example calls keras.datasets.mnist.load_data()
    # Model / data parameters
    num_classes = 10
    input_shape = (28, 28, 1)

    # Load the data and split it between train and test sets
    (x_train, y_train), (x_test, y_test) = load_mnist()

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

    batch_size = 128
    epochs = 15

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              callbacks=list(callbacks))  # changed: + the bench's callback
    return model, (x_test, y_test)
