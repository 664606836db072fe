"""ganforge's default recipes; importing this package registers them."""

from ganforge.models.recipes import acgan, allconv, dcgan, gan, wgan_gp

__all__ = ["acgan", "allconv", "dcgan", "gan", "wgan_gp"]
