"""``allconv``: the all-convolutional GAN. G starts from the latent as an 8×8 noise image and
has no dense layer; D has none but its output. (``conv-d``, the step between the dense GAN and
this one, is the classic preset in :mod:`ganforge.models.presets.keras_dense_to_allconv`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from ganforge.errors import ConfigError
from ganforge.models.base import dcgan_init, register, schedule
from ganforge.models.layers import GaussianNoise, MinibatchStd, Reshape, output_activation
from ganforge.models.objectives import BCEConfig, BCERecipe


@dataclass
class ConvDiscriminatorConfig(BCEConfig):
    """The convolutional D both recipes share: three k5 s2 convs (64-128-64), LReLU 0.2."""

    latent_dim: int = 64
    d_channels: tuple[int, ...] = (64, 128, 64)
    leaky_slope: float = 0.2
    dropout: float = 0.0


def conv_discriminator(
    channels: tuple[int, ...],
    slope: float,
    dropout: float,
    input_noise: float = 0.0,
    outputs: int = 1,
    minibatch_std: bool = False,
) -> nn.Sequential:
    """Conv k5 s2 "same" layers (28 → 14 → 7 → 4), optionally the batch's feature spread
    (:class:`MinibatchStd`), then one dense output logit."""
    layers: list[nn.Module] = [GaussianNoise(input_noise)]
    c_in, size = 1, 28
    for c in channels:
        layers += [nn.Conv2d(c_in, c, 5, 2, 2), nn.LeakyReLU(slope, inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        c_in, size = c, (size + 1) // 2
    features = c_in * size * size
    layers.append(nn.Flatten())
    if minibatch_std:
        layers.append(MinibatchStd())
    layers.append(nn.Linear(features + int(minibatch_std), outputs))  # the spread: 1 more
    return nn.Sequential(*layers)


@dataclass
class AllConvConfig(ConvDiscriminatorConfig):
    """G from an 8×8 noise image, no dense layer: Conv k8 p3 (8→7) → ConvT k5 s1 ×2 → ConvT
    k4 s2 ×2 (``g_channels`` lists the widths: the first conv's, each 7×7 layer's, then the
    14×14 one's; ``g_first_kernel`` is the first conv's kernel).

    ``latent_dim`` must be 64 (one 8×8 image).

    Tuned for 5 epochs of the 10k MNIST subset (ganforge-eval/1, n = 10,000): learning rate
    4e-4 and batch 32: FID 27.96 at batch 64 and 2e-4 → 22.65 at 32 and 8e-4 (class
    KL 0.245) → 19.90 at 32 and 4e-4 (class KL 0.128, recall 0.802) with one 7×7 ConvT
    (64-128-64; 24.46, class KL 0.256, in a later run of the same). Dropout 0.3 in D did not
    help (21.49 at 32 and 8e-4), nor did an EMA of G (22.25, class KL 0.222). Without a dense
    layer, a pixel of G's 7×7 map sees only 6×6 of the 8×8 noise through one ConvT k5; a
    second (64-128-128-64, 747,521 parameters) lets every pixel see the whole noise image and
    gave 17.27 (class KL 0.087, recall 0.680); a third (64-128-128-128-64) 17.56 (class KL
    0.102, recall 0.484). The first conv's kernel matters more: at k2 each 7×7 feature is a
    function of 2×2 noise values, at k8 (padding 3; 751,361 parameters) the centre ones see all
    64. k8 against k2, seeds 0 and 1: 15.17 and 16.76 against 17.27 and 17.79 (class KL 0.048
    and 0.100 against 0.087 and 0.142); k6 gave 18.56, and spectral norm in D did not help
    (17.93 at k2; 18.72 at k8). An EMA of G (0.999, sampled with batch-norm statistics of
    its own) then did: 14.12 and 13.29 with seeds 0 and 1 against 15.17 and 16.76 (class KL
    0.073 and 0.061 against 0.048 and 0.100), so it is on. Then the batch's feature spread
    before D's output (``minibatch_std``, Karras et al. 2018): 12.58 and 13.45 with seeds 0
    and 1 against 14.12 and 13.29 (class KL 0.046 and 0.066 against 0.073 and 0.061), and
    13.44 (class KL 0.066) for seed 0 in ``ganforge compare`` on two threads: better on
    average (13.16 against 13.71), below the σ = 1 blur line (13.48) in all three runs, so
    it is on; but the gain is within the spread between runs (seed 0 alone moved by 0.86
    between one and two threads), and the class KL stays above 0.05 in two of the three.
    The R1 penalty that brings ``dcgan``'s class KL under 0.05 did not help here (seed 0,
    one thread): ``r1_weight`` 1 gave 15.14 (class KL 0.073), 0.1 gave 13.11 (0.062).

    Then Adam without momentum (β1 0, as for ``gan``), now the default: 10.01 and 11.36 with
    seeds 0 and 1 against 12.58 and 13.45 (class KL 0.056 and 0.058 against 0.046 and 0.066;
    recall 0.72 both). Its classes stay uneven: 9s are over-drawn (about 1,700 of 10,000),
    0s and 5s under (about 500 and 600). Not kept, on top of it: D at 8e-4 (10.67, class KL
    0.063), a wider last D conv (64-128-128: 10.36 and 10.61, class KL 0.0495 and 0.059) and
    the batch spread taken over groups of 4, as Karras et al. do (patched: 10.65 and 10.24,
    class KL 0.058 and 0.044; the KL's mean, 0.051, is within the spread between seeds).

    Then D at half G's rate (2e-4), now the default: 10.09, 10.85 and 9.80 with seeds 0, 1 and 2
    (class KL 0.031, 0.0505 and 0.032; recall 0.73, 0.69, 0.65) against 10.01 and 11.36 (0.056
    and 0.058) for seeds 0 and 1 at 4e-4: a D that learns slower lets G spread over the classes.
    Seed 1 sits on the class-KL line. Not kept, each seed 0 with D at 4e-4: batch 16 (11.19,
    class KL 0.085), 2 D updates on each real batch, which made ``gan`` (12.22, 0.090), input
    noise 0.05 annealed to 0 (9.93, 0.062) and R1 with γ 0.1 (9.73, 0.051).
    """

    lr_g: float = 4e-4
    lr_d: float = 2e-4  # D at half G's rate spreads G over the classes (the last paragraph)
    beta1: float = 0.0  # Adam without momentum (see the docstring)
    ema_decay: float = 0.999

    g_channels: tuple[int, ...] = (64, 128, 128, 64)
    g_first_kernel: int = 8  # the first conv's kernel (even; padding (k − 2)/2 keeps 8 → 7)
    minibatch_std: bool = True  # D sees the batch's feature spread before its output
    # Runs saved before these fields trained with a k2 first conv and no batch spread in D.
    saved_before: ClassVar[dict[str, Any]] = {"g_first_kernel": 2, "minibatch_std": False}

    def validate(self) -> None:
        super().validate()
        if self.latent_dim != 64:
            raise ConfigError(
                f"allconv needs model.latent_dim 64 (an 8×8 image), got {self.latent_dim}"
            )
        if self.g_first_kernel not in (2, 4, 6, 8):
            raise ConfigError(
                f"model.g_first_kernel must be 2, 4, 6 or 8 (it maps the 8×8 noise image "
                f"to 7×7), got {self.g_first_kernel}"
            )
        if len(self.g_channels) < 3:
            raise ConfigError(
                f"model.g_channels must list 3 or more widths (the 7×7 layers, then the "
                f"14×14 one), got {list(self.g_channels)}"
            )


@register
class AllConv(BCERecipe):
    name = "allconv"
    family = "allconv"
    summary = "all-convolutional: G from an 8×8 noise image, no dense layer in G"
    config_cls = AllConvConfig
    train_defaults = schedule(batch_size=32)
    cfg: AllConvConfig

    def build_generator(self) -> nn.Module:
        c = self.cfg
        first, *middle, last = c.g_channels
        k = c.g_first_kernel
        slope = c.leaky_slope
        layers: list[nn.Module] = [
            Reshape(1, 8, 8),
            nn.Conv2d(1, first, k, 1, (k - 2) // 2, bias=False),  # 8×8 → 7×7
            nn.BatchNorm2d(first),
            nn.LeakyReLU(slope, inplace=True),
        ]
        c_in = first
        for width in middle:  # 7×7, each layer widening the receptive field by 4
            layers += [
                nn.ConvTranspose2d(c_in, width, 5, 1, 2, bias=False),
                nn.BatchNorm2d(width),
                nn.LeakyReLU(slope, inplace=True),
            ]
            c_in = width
        layers += [
            nn.ConvTranspose2d(c_in, last, 4, 2, 1, bias=False),  # 14×14
            nn.BatchNorm2d(last),
            nn.LeakyReLU(slope, inplace=True),
            nn.ConvTranspose2d(last, 1, 4, 2, 1),  # 28×28
            output_activation(c.data_range),
        ]
        g = nn.Sequential(*layers)
        g.apply(dcgan_init)
        return g

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return conv_discriminator(
            c.d_channels,
            c.leaky_slope,
            c.dropout,
            c.input_noise,
            self.adversarial_outputs,
            c.minibatch_std,
        )
