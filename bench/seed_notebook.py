"""The seed notebook's code, as it trains: the reference that bench/seed_speed.py measures `mnist_nb` against.

Verbatim but for two marked lines: MNIST comes from `mnist_nb.data.load_mnist` (the same uint8 arrays that
`tf.keras.datasets.mnist.load_data()` returns, without a download), and an `EpochTimes` callback is added to time the
epochs (the same callback times `mnist_nb`'s side).
"""
import tensorflow as tf
from tensorflow.keras import layers, models, regularizers


def seed_notebook(callbacks=()):
    from mnist_nb.data import load_mnist  # changed: the seed calls tf.keras.datasets.mnist.load_data()
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = models.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(512, activation='relu', kernel_regularizer=regularizers.l2(0.001)),
        layers.Dropout(0.3),
        layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])

    early_stop = tf.keras.callbacks.EarlyStopping(monitor='val_loss', patience=3)
    history = model.fit(x_train, y_train, epochs=50, validation_split=0.2,
                        callbacks=[early_stop, *callbacks])  # changed: + the bench's timing callback
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print(f"Test accuracy: {test_acc:.4f}")
    return history, test_acc
