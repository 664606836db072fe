"""Configuration, the lowest layer: the typed run config (:mod:`.schema`, its schedule
:mod:`.train`), how YAML and ``--set`` flags fill it in (:mod:`.overrides`), the grid layouts
its fields name (:mod:`.layouts`), its output intervals in epochs or steps and grid size
(:mod:`.every`), the augmentation of D's images (:mod:`.augment`), and the bounds of its
numbers, seeds included (:mod:`.bounds`). It imports nothing of ganforge's but its errors;
building a recipe's config from its name is :mod:`ganforge.setup`'s.
"""

from ganforge.config.augment import AUGMENT_MODES, AUGMENT_OPS
from ganforge.config.bounds import ACTIVATIONS, SEED_MAX
from ganforge.config.overrides import apply_overrides, load_yaml, parse_assignments
from ganforge.config.schema import DATA_RANGES, OPTIMIZERS, ModelConfig, RunConfig
from ganforge.config.train import DIST_BACKENDS, ON_DIVERGE, PRECISIONS, SAMPLINGS, TrainConfig

__all__ = [
    "ACTIVATIONS",
    "AUGMENT_MODES",
    "AUGMENT_OPS",
    "DATA_RANGES",
    "DIST_BACKENDS",
    "ON_DIVERGE",
    "OPTIMIZERS",
    "PRECISIONS",
    "SAMPLINGS",
    "SEED_MAX",
    "ModelConfig",
    "RunConfig",
    "TrainConfig",
    "apply_overrides",
    "load_yaml",
    "parse_assignments",
]
