"""Keras' defaults, for presets ported from Keras code: initialisation, batch norm, "same"
padded (transposed) convolutions. PyTorch's differ, and a port that keeps PyTorch's trains
a different model from the one the source reports on.
"""

from __future__ import annotations

from torch import nn

KERAS_LEAKY_SLOPE = 0.3  # keras.layers.LeakyReLU() without an alpha
KERAS_ADAM_EPS = 1e-7  # tf.keras Adam's epsilon (PyTorch: 1e-8)


def keras_init(module: nn.Module) -> None:
    """Keras' default initialisation: Glorot-uniform kernels, zero biases, batch-norm scale 1,
    embeddings U(-0.05, 0.05). Use with ``net.apply(keras_init)``."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.uniform_(module.weight, -0.05, 0.05)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def batch_norm(channels: int, dims: int = 2) -> nn.Module:
    """Keras' BatchNormalization: eps 1e-3 and moving-average momentum 0.99, which is
    PyTorch's ``momentum=0.01`` (PyTorch weighs the new batch by ``momentum``). Keyword
    arguments on purpose: ``BatchNorm2d(c, 0.8)`` sets eps, not momentum, a bug copied
    between popular GAN repositories."""
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    return cls(channels, eps=1e-3, momentum=0.01)


def conv_same(c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    """Conv2d with Keras' "same" padding for an odd kernel: the output is ⌈size / stride⌉."""
    return nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=bias)


def conv_transpose_same(
    c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True
) -> nn.ConvTranspose2d:
    """ConvTranspose2d with Keras' "same" padding for an odd kernel: size × stride out."""
    return nn.ConvTranspose2d(
        c_in, c_out, kernel, stride, kernel // 2, output_padding=stride - 1, bias=bias
    )
