"""Differentiable augmentation of every image D sees (``model.augment``, docs/augment.md):
the operations (:mod:`.ops`), the pipe that applies a policy of them (:mod:`.pipe`), ADA's
controller of their probability (:mod:`.ada`), and D behind the pipe (:mod:`.augmented`)."""

from ganforge.models.augment.ada import AdaController, ada_adjust
from ganforge.models.augment.augmented import Augmentation, AugmentedD
from ganforge.models.augment.pipe import AugmentPipe

__all__ = ["AdaController", "AugmentPipe", "Augmentation", "AugmentedD", "ada_adjust"]
