"""ganforge: train, watch, compare and use the classic GAN family on MNIST-like images."""

__version__ = "0.1.0"
