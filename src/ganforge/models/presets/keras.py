"""Keras' defaults, for presets ported from Keras code: initialisation, batch norm, "same"
padded (transposed) convolutions as TensorFlow pads them. PyTorch's defaults differ, and a
port that keeps them trains a different model from the one the source reports on.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

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


def keras_initialised(net: nn.Module) -> nn.Module:
    """``net`` with :func:`keras_init` applied to every layer."""
    net.apply(keras_init)
    return net


def batch_norm(channels: int, dims: int = 2) -> nn.Module:
    """Keras' BatchNormalization: eps 1e-3 and moving-average momentum 0.99, which is
    PyTorch's ``momentum=0.01`` (PyTorch weighs the new batch by ``momentum``). Keyword
    arguments on purpose: ``BatchNorm2d(c, 0.8)`` sets eps, not momentum, a bug copied
    between popular GAN repositories."""
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    return cls(channels, eps=1e-3, momentum=0.01)


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "SAME" padding of one dimension: output ⌈size / stride⌉, the extra pixel
    (if the total is odd) after, not before. PyTorch's symmetric ``padding`` shifts the
    windows by one pixel where the total is odd (stride 2 on an even size)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Conv2d with Keras' (TensorFlow's) "same" padding, exactly: see :func:`_same_padding`."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True):
        super().__init__(c_in, c_out, kernel, stride, padding=0, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        top, bottom = _same_padding(x.shape[-2], k, s)
        left, right = _same_padding(x.shape[-1], k, s)
        return super().forward(F.pad(x, (left, right, top, bottom)))


class SameConvTranspose2d(nn.ConvTranspose2d):
    """ConvTranspose2d with Keras' "same" padding, exactly: size × stride out, cropped from
    the full output as TensorFlow crops it (the adjoint of :class:`SameConv2d`)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True):
        super().__init__(c_in, c_out, kernel, stride, padding=0, bias=bias)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        full = super().forward(x)
        k, s = self.kernel_size[0], self.stride[0]
        h, w = x.shape[-2] * s, x.shape[-1] * s
        top, left = (max(k - s, 0) // 2,) * 2
        return full[..., top : top + h, left : left + w]


def conv_same(c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    """A Keras ``Conv2D(..., padding="same")``: the output is ⌈size / stride⌉."""
    return SameConv2d(c_in, c_out, kernel, stride, bias)


def conv_transpose_same(
    c_in: int, c_out: int, kernel: int, stride: int = 1, bias: bool = True
) -> nn.ConvTranspose2d:
    """A Keras ``Conv2DTranspose(..., padding="same")``: the output is size × stride."""
    return SameConvTranspose2d(c_in, c_out, kernel, stride, bias)
