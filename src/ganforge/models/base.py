"""The recipe: a generator, a discriminator, their losses and optimizers, under one name.

The trainer only ever calls :meth:`Recipe.discriminator_step_loss` and
:meth:`Recipe.generator_step_loss` and steps the optimizers :meth:`Recipe.make_optimizers`
returns, so a new GAN variant is one subclass (a page of code) and no change to the loop.
This module owns the base class: its description for ``ganforge recipes``, the interface a
recipe implements, data-parallel training, the optimizers, D's freezing for the G step, D's
forward over a real and a fake batch, and parameter counts. Drawing from G is
:mod:`ganforge.models.sampling`'s; the registry is :mod:`ganforge.models.registry`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.config import ModelConfig
from ganforge.models.augment import Augmentation
from ganforge.models.ema import GeneratorEMA
from ganforge.models.optimizers import make_optimizer
from ganforge.models.sampling import GeneratorSampling
from ganforge.models.weights import frozen

Stats = dict[str, Tensor]


class Recipe(GeneratorSampling):
    """Base class of every recipe; subclasses build the networks and define the losses.
    Drawing from G (latents, labels, fakes, sampled images) is :class:`GeneratorSampling`'s.

    Class attributes describe the recipe for ``ganforge recipes``: ``name`` (registry key),
    ``family`` (what it is a variant of), ``summary`` (one line) and ``config_cls`` (its typed
    config). ``conditional`` recipes take class labels in G and D.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    summary: ClassVar[str]
    config_cls: ClassVar[type[ModelConfig]] = ModelConfig
    conditional: ClassVar[bool] = False
    # Both per class, and per instance where a config switch adds a penalty (BCERecipe's R1).
    extra_stats: tuple[str, ...] = ()  # logged besides d_loss, g_loss, D(x), D(G(z))
    resolutions: ClassVar[tuple[int, ...]] = (28,)  # image sizes its networks are built for
    double_backward: bool = False  # D's loss differentiates D's gradient (a penalty)
    # Classic presets (ganforge.models.presets): the ganforge recipe this is a classic
    # configuration of, where it comes from, what of it the source leaves undocumented (and
    # ganforge assumed), and the source's parameter counts (G, D), which Keras sources count
    # with batch norm as 4c (its moving mean and variance too) and PyTorch ones as 2c.
    preset_of: ClassVar[str | None] = None
    source: ClassVar[str] = ""
    assumed: ClassVar[str] = ""
    published_counts: ClassVar[tuple[int, int] | None] = None
    counts_batch_norm_as: ClassVar[str] = "2c"  # "4c" for Keras sources
    # The recipe's tuned schedule over TrainConfig's defaults, e.g. {"batch_size": 32}.
    train_defaults: ClassVar[Mapping[str, object]] = {}
    # Whether d_real and d_fake are probabilities in [0, 1] (a sigmoid of D's logit), so that
    # "D(x) → 1, D(G(z)) → 0" means D wins outright; a Wasserstein critic's raw scores are not.
    probability_outputs: ClassVar[bool] = False
    # What the divergence guard adds to its "D wins completely" warning for this recipe: for
    # a classic preset whose source does the same, that it does (see docs/recipes.md).
    d_wins_note: ClassVar[str] = ""

    def __init__(self, cfg: ModelConfig, num_classes: int = 10) -> None:
        self.cfg = cfg
        self.num_classes = num_classes
        self.progress = 0.0  # fraction of training done, for annealed tricks
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()
        self.ema = GeneratorEMA(self.generator, cfg.ema_decay) if cfg.ema_decay > 0 else None
        # What D sees, augmented (model.augment; None when off), and ADA's statistics.
        self.augmentation = Augmentation.for_config(cfg, self.per_sample_draw)
        if self.augmentation is not None and self.augmentation.ada is not None:
            self.extra_stats = (*self.extra_stats, "ada_p", "ada_rt")
        # Data-parallel training (see :meth:`distribute`): this process's rank among
        # ``world_size``, and the modules the step losses run G and D through.
        self.rank, self.world_size = 0, 1
        self.g_forward: nn.Module = self.generator
        self.d_forward: nn.Module = self.augmented(self.discriminator)

    # -- to override ---------------------------------------------------------------------------
    def build_generator(self) -> nn.Module:
        """Return G: ``G(z)`` or, for conditional recipes, ``G(z, labels)`` → images."""
        raise NotImplementedError

    def build_discriminator(self) -> nn.Module:
        """Return D: images (and labels) → logits (a tuple for multi-head recipes)."""
        raise NotImplementedError

    def discriminator_step_loss(self, real: Tensor, labels: Tensor) -> tuple[Tensor, Stats]:
        """D's loss on one real batch and a batch of fresh fakes, plus detached statistics.

        The statistics always include ``d_loss``, ``d_real`` and ``d_fake`` (D(x) and D(G(z))).
        """
        raise NotImplementedError

    def generator_step_loss(self, batch_size: int) -> tuple[Tensor, Stats]:
        """G's loss on fresh fakes; statistics include ``g_loss``."""
        raise NotImplementedError

    def set_progress(self, fraction: float) -> None:
        """Called by the trainer before each step with the fraction of training done."""
        self.progress = fraction

    def distribute(
        self, rank: int, world_size: int, wrap: Callable[[nn.Module], nn.Module]
    ) -> None:
        """Train as process ``rank`` of ``world_size`` data-parallel ones.

        The step losses then run G and D through ``wrap(G)`` and ``wrap(D)``
        (DistributedDataParallel, whose backward averages the gradients across processes),
        except D in G's step while D is frozen (see :attr:`discriminator_in_g_step`); and
        per-sample random draws are slices of the global batch's (:meth:`per_sample_draw`).
        :attr:`generator` and :attr:`discriminator` stay the bare networks that checkpoints,
        samples and the optimizers see.
        """
        self.rank, self.world_size = rank, world_size
        self.g_forward = wrap(self.generator)
        self.d_forward = self.augmented(wrap(self.discriminator))

    def augmented(self, net: nn.Module) -> nn.Module:
        """``net`` (D or its wrapper) behind the augmentation pipe when ``model.augment`` is
        on (:class:`~ganforge.models.augment.AugmentedD`), else ``net`` itself."""
        return net if self.augmentation is None else self.augmentation.wrap(net)

    def observe_real(self, scores: Tensor) -> Stats:
        """D's scores of the real batch (one per image), which ADA's controller follows;
        returns the statistics it logs (none without ADA)."""
        return {} if self.augmentation is None else self.augmentation.observe(scores)

    def per_sample_draw(self, draw: Callable[[int], Tensor], n: int) -> Tensor:
        """``draw(n)``: random numbers for this process's ``n`` samples, one row each.

        With several data-parallel processes, the rows are drawn for the global batch of
        ``n × world_size`` and this process keeps its slice: the processes share one random
        stream (the same seed and draws), so their rows differ, and together they are what
        one process training on the global batch draws.
        """
        if self.world_size == 1:
            return draw(n)
        return draw(n * self.world_size)[self.rank * n : (self.rank + 1) * n]

    @property
    def discriminator_in_g_step(self) -> nn.Module:
        """D as G's step runs it: D itself while it is frozen there, as nothing of it is to
        be averaged across processes (and a DDP forward whose backward reaches none of D's
        parameters would leave DDP waiting for their gradients); its data-parallel wrapper
        when D trains in G's step too (the classic quirk ``d_trains_in_g_step``). Behind
        the augmentation pipe when that is on."""
        if self.freezes_d_in_g_step:
            return self.augmented(self.discriminator)
        return self.d_forward

    # -- shared ---------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def to(self, device: torch.device | str) -> Recipe:
        self.generator.to(device)
        self.discriminator.to(device)
        if self.ema is not None:
            self.ema.model.to(device)
        if self.augmentation is not None:
            self.augmentation.to(device)
        return self

    def after_generator_step(self, step: int) -> None:
        """Called by the trainer after each G update (``step``: the step's 0-based index):
        the weight average's update and ADA's adjustment."""
        if self.ema is not None:
            self.ema.update(self.generator, step)
        if self.augmentation is not None:
            self.augmentation.after_step(step, self.world_size)

    def train(self, mode: bool = True) -> None:
        self.generator.train(mode)
        self.discriminator.train(mode)

    def make_optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        """G's and D's optimizers as configured (Adam by default, fused kernels where
        available). With the classic quirk ``d_trains_in_g_step``, G's optimizer also holds
        D's weights, as a Keras combined model whose D was never frozen does."""
        cfg = self.cfg
        beta1_g = cfg.beta1 if cfg.beta1_g is None else cfg.beta1_g
        g_params = list(self.generator.parameters())
        if not self.freezes_d_in_g_step:
            g_params += list(self.discriminator.parameters())
        opt_g = make_optimizer(cfg.optimizer_g, g_params, cfg.lr_g, (beta1_g, cfg.beta2), cfg.eps)
        opt_d = make_optimizer(
            cfg.optimizer_d,
            self.discriminator.parameters(),
            cfg.lr_d,
            (cfg.beta1, cfg.beta2),
            cfg.eps,
        )
        return opt_g, opt_d

    @property
    def freezes_d_in_g_step(self) -> bool:
        """Whether D's weights stay fixed during the G step (always, but for a classic quirk)."""
        return not self.cfg.quirk("d_trains_in_g_step")

    def freeze_discriminator(self) -> Callable[[], None]:
        """Freeze D for the G step; returns the undo function.

        D's weights collect no gradient (unless the classic quirk ``d_trains_in_g_step``
        leaves D trainable). With ``frozen_d_batch_norm``, D's batch norm also uses its
        running statistics meanwhile, as a Keras layer with ``trainable = False`` does: a D
        that sees one joint [fake; real] batch in its own step would otherwise judge G's
        fakes by the statistics of a batch of fakes alone, which it never learnt to judge.
        """
        if not self.freezes_d_in_g_step:
            return lambda: None
        undo_weights = frozen(self.discriminator)
        norms = []
        if self.cfg.frozen_d_batch_norm:
            norms = [
                m
                for m in self.discriminator.modules()
                if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training
            ]
        for m in norms:
            m.eval()

        def undo() -> None:
            undo_weights()
            for m in norms:
                m.train()

        return undo

    def discriminate(self, real: Tensor, fake: Tensor) -> tuple[Any, Any]:
        """D's outputs on the real and the fake batch: two forwards, or with ``joint_batch``
        one forward over ``[fake; real]`` (as Keras loops train D), so that batch norm in D
        sees one mixed batch. Tuple outputs (multi-head D) are split head by head.

        (One forward over ``[real; fake]`` for a D without batch statistics would give the
        same outputs; measured in one process, it trained the MLP GAN and WGAN-GP at most
        3 % faster, within the noise, so the two forwards stay.)"""
        if not self.cfg.joint_batch:
            return self.d_forward(real), self.d_forward(fake)
        net = self.d_forward
        if self.augmentation is not None:
            # Each half its own draw, as without joint_batch: N processes still train as one.
            real, fake = self.augmentation(real), self.augmentation(fake)
            net = self.d_forward.net
        fake_out, real_out = _split(net(torch.cat([fake, real])), fake.shape[0])
        return real_out, fake_out

    def parameter_counts(self) -> tuple[int, int]:
        """Trainable parameters of (G, D), as PyTorch counts them (BatchNorm: 2c)."""
        return _count(self.generator), _count(self.discriminator)

    def published_convention_counts(self) -> tuple[int, int]:
        """(G, D) counted as the source counts them: with ``counts_batch_norm_as`` "4c", batch
        norm's running mean and variance are added, as Keras' ``count_params`` includes them."""
        if self.counts_batch_norm_as == "2c":
            return self.parameter_counts()
        return (
            _count(self.generator) + _batch_norm_stats(self.generator),
            _count(self.discriminator) + _batch_norm_stats(self.discriminator),
        )


def _split(out: Any, n_first: int) -> tuple[Any, Any]:
    """A batched output (or tuple of them) → (its first ``n_first`` rows, the rest)."""
    if isinstance(out, tuple):
        return tuple(o[:n_first] for o in out), tuple(o[n_first:] for o in out)
    return out[:n_first], out[n_first:]


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _batch_norm_stats(module: nn.Module) -> int:
    """Entries of batch norm's running mean and variance (non-trainable: 2c per layer)."""
    return sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None
    )
