"""``ganforge`` with every batch norm layer held in eval mode: a per-sample affine map that
couples no samples of a batch, batch norm's "eval-equivalent form". The distributed tests
run it under torchrun to compare N processes with one on the global batch exactly, which
per-process batch statistics would prevent (and SyncBatchNorm, which would share them,
works on CUDA tensors only).
"""

from torch import nn

from ganforge.cli import main

_TRAIN = nn.modules.batchnorm._BatchNorm.train


def eval_only_train(self: nn.Module, mode: bool = True) -> nn.Module:
    """``_BatchNorm.train`` that always picks eval mode."""
    return _TRAIN(self, False)


if __name__ == "__main__":
    nn.modules.batchnorm._BatchNorm.train = eval_only_train  # type: ignore[method-assign]
    main()
