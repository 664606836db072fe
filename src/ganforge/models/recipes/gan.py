"""``gan``: the vanilla GAN (Goodfellow et al. 2014) with dense G and D."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ganforge.models.base import register, schedule
from ganforge.models.nets import mlp_discriminator, mlp_generator
from ganforge.models.objectives import BCEConfig, BCERecipe


@dataclass
class GANConfig(BCEConfig):
    """Dense GAN. Defaults: latent 64, G 256-512-1024 with batch norm, D 512-256 with dropout;
    batch 16, Adam with β1 0, G at 4e-4 and D at 8e-4, 2 D updates on each real batch (the
    last paragraph says why).

    Batch norm in G's hidden layers is what keeps this small MLP from collapsing onto a few
    digits early on; dropout in D keeps D from winning outright on a 10k-image training set.

    Tuned for 5 epochs of the 10k MNIST subset (FID by ganforge-eval/1, n = 10,000): batch 8
    (the recipe's ``train_defaults`` then; 16 now), Adam 2e-4 with β1 0.5 (since then β1 0 and
    other rates: see the last two paragraphs), and samples from an EMA of G's weights
    (``ema_decay`` 0.999). The dense G's samples are speckled, and the evaluator files speckled
    digits under a few classes, which reads as mode collapse (batch 64: FID 99.68, 3 classes)
    although the grids show most digits. Averaging G's weights removes much of the speckle (so
    it is largely step-to-step noise), and many small steps suit the MLP: batch 32 at 8e-4 gave
    53.11 (9 classes), with the EMA 33.87 (10 classes); with the EMA, batch 16 at 4e-4 28.21,
    batch 8 at 4e-4 22.30 and batch 8 at 2e-4 19.38 (10 classes, class KL 0.089, recall 0.176).
    A batch-spread feature in D (``minibatch_std``) did not help (62.93 against 53.11) and stays
    off. Nor did, from a later run of these defaults at 21.33 (class KL 0.141, recall 0.143):
    batch 4 (29.30), D dropout 0.1 (22.98, class KL 0.177) or a wider D of 1024-512 (23.36,
    class KL 0.187, recall 0.243). Nor spectral norm in D (21.72), label smoothing 0.9 (24.05),
    input noise 0.1 (24.44), or G without batch norm (38.21, 9 classes).

    Those EMA figures sampled with the live G's batch-norm statistics, noisy at batch 8 and
    not the average's own. With standing statistics (:mod:`ganforge.models.ema`) the same
    defaults score 18.65 (class KL 0.106, recall 0.198) instead of 21.33, and seed 1's
    checkpoint 19.26 instead of 22.93; re-scored that way, G at 4e-4 gave 18.36 (within
    seed noise, not kept) and an EMA decay of 0.998 22.28. Later, also not kept: ReLU in G in
    place of LeakyReLU (20.15) and the batch-spread feature in D again (20.00, recall 0.263,
    class KL 0.114). Nor, later: D at 4e-4 (19.68, class KL 0.130), Adam β2 0.99 (24.36),
    the R1 penalty that helps ``dcgan`` (γ = 1, patched before it was code: 20.62), and, in
    a patched loss (not a switch here: the vanilla GAN is the BCE one), the hinge loss
    (23.06, class KL 0.185) and the least-squares loss (18.55, recall 0.317, class KL 0.107;
    with D at 4e-4 17.73, recall 0.396, class KL 0.091); nor 2 D steps per G step (21.83),
    both rates at 1e-4 (30.80, class KL 0.302) or latent 100 (19.16). The dense G's digits
    stay blotchy after 50,000 images; the evaluator puts about 2,000 of the defaults' 10,000
    samples under 3 and 1,700 under 8, and only 330 under 6.

    Then Adam without momentum (β1 0, as StyleGAN2 and BigGAN train) with D at 4e-4, now the
    defaults. One thread, seed 0 (FID, class KL, recall): β1 0.5 and D at 2e-4, the defaults
    before (the 18.65 above is from a two-thread run), 21.65, 0.172, 0.185; β1 0 alone 18.14,
    0.093, 0.245 (seed 1: 19.55); β1 0 with D at 4e-4 16.01, 0.075, 0.280 (seed 1: 15.01, 0.075,
    0.282); ``ganforge compare`` on two threads 16.20, 0.086, 0.239. β1 0.9 collapsed (49.43,
    recall 0). On top of those defaults, none of these moved it out of seed noise: D at 8e-4
    (16.00, recall 0.317), G at 4e-4 too (15.85), Adam β2 0.99 (15.49, class KL 0.065), batch 16
    at 4e-4 and 8e-4 (15.08, 0.070), G's output bias started at −2, i.e. a dark page (patched:
    15.35), the batch spread in D (16.12), a deeper D of 1024-512-256 (15.83, class KL 0.090); D
    dropout 0.5 was worse (19.11); a longer EMA (its warm-up constant 3 in place of 10, patched:
    18.09 with β1 0 and D at 2e-4). Nor, later: a wider G of 512-1024-2048 (17.65) or a deeper
    one of 256-512-1024-1024 (17.43, recall 0.139); both learning rates decayed linearly to 0
    (patched: 40.04, class KL 0.558; over the second half only 23.62), so what is left is not
    step noise that annealing removes; batch 16 at 4e-4 and 8e-4 with β2 0.99 stacked (16.85 and
    16.78 with seeds 0 and 1). Nor, last: batch norm in G replaced by layer norm (patched:
    17.34, recall 0.107), a sigmoid output on data in [0, 1] (20.97), D without its dropout in
    G's step (patched: 16.31) or latent 32 (15.56). Still above the σ = 1 blur line (13.48) and
    the class-KL target.

    What did it: a stronger D. Two D updates per G step, both on the step's one real batch with
    fresh fakes each (``d_steps`` 2, ``d_steps_same_batch``), keep G's 6,250 updates and double
    D's; two updates each on its own batch would halve G's (21.83 above). At batch 8, G 2e-4 and
    D 4e-4 (seeds 0, 1, 2): 12.42, 14.12, 14.25 (class KL 0.046, 0.061, 0.080), recall about
    0.40 in all three; 3 D updates gave 14.78, and on top of 2, latent 32 12.66, β2 0.99 14.11,
    D at 2e-4 13.76, R1 (γ = 1) 14.21, D dropout 0.4 15.44. Then, with it, batch 16 and both
    rates doubled (G 4e-4, D 8e-4), the defaults now: 11.18, 10.66, 12.09 with seeds 0, 1, 2
    (class KL 0.040, 0.030, 0.042; recall 0.366, 0.374, 0.409), below the blur line and the
    targets in all three, and in less time (about 160 s on one thread, 180 before). The same
    batch and rates with one D update had given 15.08 (class KL 0.070); batch 32 at G 8e-4 and D
    1.6e-3 gave 16.80. The classes lean the same way in every run (too many 3s, too few 6s),
    less so now.
    """

    latent_dim: int = 64
    beta1: float = 0.0  # Adam without momentum (see the docstring)
    lr_g: float = 4e-4
    lr_d: float = 8e-4
    d_steps: int = 2
    d_steps_same_batch: bool = True  # both D updates on the step's real batch: G keeps its steps
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    g_batch_norm: bool = True
    dropout: float = 0.3
    leaky_slope: float = 0.2
    ema_decay: float = 0.999
    minibatch_std: bool = False  # append the batch's feature spread before D's output


@register
class GAN(BCERecipe):
    name = "gan"
    family = "gan"
    summary = "vanilla GAN: dense G and D, non-saturating BCE loss"
    config_cls = GANConfig
    cfg: GANConfig
    train_defaults = schedule(batch_size=16)

    def build_generator(self) -> nn.Module:
        c = self.cfg
        return mlp_generator(
            c.latent_dim, c.g_hidden, c.data_range, "lrelu", c.leaky_slope, c.g_batch_norm
        )

    def build_discriminator(self) -> nn.Module:
        c = self.cfg
        return mlp_discriminator(
            c.d_hidden,
            c.dropout,
            "lrelu",
            c.leaky_slope,
            c.input_noise,
            c.minibatch_std,
            self.adversarial_outputs,
        )
