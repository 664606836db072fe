"""The three adversarial objectives of the classic family, as recipe base classes: binary
cross-entropy (:mod:`.bce`), Wasserstein with a gradient penalty (:mod:`.wasserstein`) and the
auxiliary classifier (:mod:`.aux_classifier`, on top of BCE).

Each class defines the D and G step losses once; an architecture recipe subclasses one of them
and only builds its networks. The loss math lives in :mod:`ganforge.losses` as pure functions.
"""

from ganforge.models.objectives.aux_classifier import AuxClassifierConfig, AuxClassifierRecipe
from ganforge.models.objectives.bce import D_OUTPUTS, BCEConfig, BCERecipe
from ganforge.models.objectives.wasserstein import WassersteinConfig, WassersteinRecipe

__all__ = [
    "D_OUTPUTS",
    "AuxClassifierConfig",
    "AuxClassifierRecipe",
    "BCEConfig",
    "BCERecipe",
    "WassersteinConfig",
    "WassersteinRecipe",
]
