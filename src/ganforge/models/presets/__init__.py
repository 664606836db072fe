"""The classic configurations of ``shared/recipes.md`` as presets: exact layers, losses,
optimizers and schedules, registered beside ganforge's tuned recipes. Importing this package
registers them. One module per source, or per group of a source's models: Keras models sharing
one Yogi loop (the loop; its SELU and GELU models; the models on the improved DCGAN's shared
networks), the PyTorch tutorials, Keras' dense-to-all-convolutional series, the TensorFlow
DCGAN tutorial, and the Keras 1 DCGAN and AC-GAN. The import order below is the registration
order, which ``ganforge recipes`` keeps within a family."""

from ganforge.models.presets import (
    keras1_dcgan_acgan,
    keras_dense_to_allconv,
    keras_yogi_loop,
    keras_yogi_selu_gelu,
    keras_yogi_shared_nets,
    pytorch_tutorials,
    tensorflow_dcgan_tutorial,
)

__all__ = [
    "keras1_dcgan_acgan",
    "keras_dense_to_allconv",
    "keras_yogi_loop",
    "keras_yogi_selu_gelu",
    "keras_yogi_shared_nets",
    "pytorch_tutorials",
    "tensorflow_dcgan_tutorial",
]
