"""ganforge's default recipes; importing this package registers them."""

from ganforge.models.recipes import acgan, allconv, dcgan, gan, wgan_gp

# The family as ganforge tunes it (the presets are the classic projects' versions of these).
DEFAULT_RECIPES = ("gan", "dcgan", "improved-dcgan", "wgan-gp", "acgan", "allconv")

__all__ = ["DEFAULT_RECIPES", "acgan", "allconv", "dcgan", "gan", "wgan_gp"]
