"""The classic configurations of ``shared/recipes.md`` as presets: exact layers, losses,
optimizers and schedules, registered beside ganforge's tuned recipes. Importing this package
registers them. One module per source: Keras models sharing one Yogi loop, the PyTorch
tutorials, Keras' dense-to-all-convolutional series, the TensorFlow DCGAN tutorial, and the
Keras 1 DCGAN and AC-GAN."""

from ganforge.models.presets import (
    keras1_dcgan_acgan,
    keras_dense_to_allconv,
    keras_yogi_loop,
    pytorch_tutorials,
    tensorflow_dcgan_tutorial,
)

__all__ = [
    "keras1_dcgan_acgan",
    "keras_dense_to_allconv",
    "keras_yogi_loop",
    "pytorch_tutorials",
    "tensorflow_dcgan_tutorial",
]
