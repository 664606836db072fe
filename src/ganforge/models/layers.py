"""Small building blocks shared by the recipes' networks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.config import ModelConfig
from ganforge.errors import ConfigError


class GaussianNoise(nn.Module):
    """Adds N(0, sigma²) noise to its input in training mode only (instance noise on D's input).

    ``sigma`` is a plain attribute so a schedule can anneal it during training.
    """

    def __init__(self, sigma: float) -> None:
        super().__init__()
        self.sigma = sigma

    def forward(self, x: Tensor) -> Tensor:
        if self.training and self.sigma > 0:
            return x + self.sigma * torch.randn_like(x)
        return x

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}"


def check_minibatch_std(cfg: ModelConfig, minibatch_std: bool) -> None:
    """A D that appends the batch's feature spread (:class:`MinibatchStd`) must see real and
    fake batches apart: over a joint ``[fake; real]`` batch the spread is shared."""
    if minibatch_std and cfg.joint_batch:
        raise ConfigError(
            "model.minibatch_std needs D to see real and fake batches apart; "
            "turn off model.joint_batch or model.minibatch_std"
        )


class MinibatchStd(nn.Module):
    """Appends one feature to every sample: the standard deviation of each feature across the
    batch, averaged (Karras et al. 2018, "minibatch standard deviation").

    A batch of fakes from a collapsing G has a telltale low spread that D then sees directly,
    so G is pushed back towards the data's variety. D sees real and fake batches separately,
    so the feature is a clean statistic of each. Input: N×F; output: N×(F+1).
    """

    def forward(self, x: Tensor) -> Tensor:
        spread = x.std(dim=0, unbiased=False).mean() if x.shape[0] > 1 else x.new_zeros(())
        return torch.cat([x, spread.expand(x.shape[0], 1)], dim=1)


class ClassBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift come from a class embedding ("conditional batch
    norm", de Vries et al. 2017; Miyato & Koyama 2018): ``BN(x) · (1 + W_γ·e) + W_β·e``.

    The projections start at zero, so at initialisation it is a plain batch norm (γ = 1,
    β = 0). Taking an embedding rather than a class index lets a mix of two classes'
    embeddings draw a digit between them.
    """

    def __init__(self, num_features: int, embedding_dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_features, affine=False)
        self.gain = nn.Linear(embedding_dim, num_features)
        self.shift = nn.Linear(embedding_dim, num_features)
        for layer in (self.gain, self.shift):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor, embedding: Tensor) -> Tensor:
        gain = 1 + self.gain(embedding)[:, :, None, None]
        return self.norm(x) * gain + self.shift(embedding)[:, :, None, None]


class Reshape(nn.Module):
    """Reshape the non-batch dimensions, e.g. a dense layer's output into C×H×W."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: Tensor) -> Tensor:
        return x.view(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return "shape=" + "×".join(map(str, self.shape))


def activation(name: str, slope: float = 0.2) -> nn.Module:
    """An activation by name: relu, lrelu (with ``slope``), selu, gelu, tanh, sigmoid, identity."""
    table = {
        "relu": lambda: nn.ReLU(inplace=True),
        "lrelu": lambda: nn.LeakyReLU(slope, inplace=True),
        "selu": nn.SELU,
        "gelu": nn.GELU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "identity": nn.Identity,
    }
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(table)}")
    return table[name]()


def output_activation(data_range: str) -> nn.Module:
    """tanh for data in [-1, 1], sigmoid for data in [0, 1]."""
    return nn.Tanh() if data_range == "-1,1" else nn.Sigmoid()
