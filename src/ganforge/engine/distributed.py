"""Data-parallel training under ``torchrun``, on PyTorch's own engine: ``torch.distributed``
and :class:`~torch.nn.parallel.DistributedDataParallel`.

``torchrun --nproc-per-node N -m ganforge train RECIPE ...`` starts N processes with
``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK`` and the rendezvous address in their environment;
:func:`process_group` reads them, joins the group (gloo on CPUs, NCCL on GPUs) and leaves it
at the end. What the N processes share and what each does:

- **data**: ``train.batch_size`` is the *global* batch. Process ``r`` trains on slice ``r``
  (``batch_size / N`` images) of every global batch of the epoch's permutation, so a step is
  one global batch, an epoch has as many steps as on one process, and a checkpoint's step
  means the same whatever N;
- **randomness**: all processes seed alike and make the same random draws in the same order
  (one shared stream); every per-sample draw (latents, fake classes, the penalty's mixing
  weights, soft labels) is drawn for the global batch, each process keeping its slice (see
  :meth:`~ganforge.models.base.Recipe.per_sample_draw`). So each process's noise differs,
  N processes train as one process on the global batch would (up to float rounding, and up
  to batch norm's per-process statistics, which ``--sync-bn`` shares, and to D's minibatch
  standard deviation, ``allconv``'s by default, taken over each process's slice), and a
  checkpoint's one RNG state resumes any number of processes exactly;
- **gradients**: DDP averages them across processes in the backward of every D and G update;
- **decisions**: the logged statistics, the finiteness flags, a stop request and the training
  clock are summed across processes once per log interval (:meth:`Distributed.all_sum`), so
  every process logs, stops, rolls back and meets the time limit at the same step;
- **outputs**: rank 0 alone writes (grids, logs, plots, checkpoints, the summary, the
  progress line, the run lock); the others write nothing. Evaluation runs on rank 0 while
  the others wait at a barrier.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from ganforge.config import TrainConfig
from ganforge.engine.interrupt import StopRequest
from ganforge.errors import ConfigError, DataError, GanforgeError
from ganforge.setup.build import resolve_device

if TYPE_CHECKING:
    from ganforge.data import ImageData
    from ganforge.models.base import Recipe

# SyncBatchNorm's backward cannot itself be differentiated, which a gradient penalty needs.
SYNC_BN_DOUBLE_BACKWARD_ISSUE = "https://github.com/pytorch/pytorch/issues/61222"


class DistributedError(GanforgeError):
    """A collective between the training processes failed: another process died or the
    process group timed out."""


@dataclass(frozen=True)
class Distributed:
    """This process's place among the data-parallel processes; one process by default."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device | None = None  # the device torchrun's LOCAL_RANK gives this process
    backend: str = ""  # "gloo" or "nccl"; "" for a single process

    @property
    def enabled(self) -> bool:
        """Whether there are other processes (and a process group) to work with."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run's outputs (rank 0)."""
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        """``module`` in DistributedDataParallel, whose backward averages the gradients of its
        parameters across processes; ``module`` itself when there is one process.

        Every parameter gets a gradient in every backward that runs through the wrapper, so
        DDP needs no ``find_unused_parameters`` search (the recipes' networks are checked for
        it by the tests). The batch-norm buffers follow rank 0's, as DDP does by default.
        """
        if not self.enabled:
            return module
        on_cuda = self.device is not None and self.device.type == "cuda"
        return DistributedDataParallel(module, device_ids=[self.device] if on_cuda else None)

    def all_sum(self, values: Tensor) -> Tensor:
        """The element-wise sum of ``values`` over the processes, on every process (float64,
        so that a training clock of hours survives the trip)."""
        total = values.double()
        if self.enabled:
            dist.all_reduce(total, op=dist.ReduceOp.SUM)
        return total

    def barrier(self) -> None:
        """Wait until every process gets here (at most the process group's timeout)."""
        if self.enabled:
            dist.barrier()

    def broadcast_text(self, text: str) -> str:
        """Rank 0's ``text`` on every process (e.g. a run directory named by the clock)."""
        if not self.enabled:
            return text
        data = torch.tensor(list(text.encode()), dtype=torch.uint8, device=self._comm_device)
        size = torch.tensor([data.numel()], device=self._comm_device)
        dist.broadcast(size, src=0)
        if not self.is_main:
            data = torch.empty(int(size.item()), dtype=torch.uint8, device=self._comm_device)
        dist.broadcast(data, src=0)
        return bytes(data.cpu().tolist()).decode()

    def check_same_data(self, data: ImageData) -> None:
        """Refuse, in one line, training ``data`` (this process's) that is not rank 0's: each
        process loads the data itself (the user's held-out split is seeded, so the same),
        and processes on other images would train one model on different data unseen."""
        theirs = self.broadcast_text(data.fingerprint)
        if theirs != data.fingerprint:
            raise DataError(
                f"rank {self.rank}: its training data ({data.source}, fingerprint "
                f"{data.fingerprint}) is not rank 0's ({theirs}); expected every process to "
                "load the same images"
            )

    @property
    def _comm_device(self) -> torch.device:
        # NCCL moves CUDA tensors only; gloo takes CPU ones.
        return self.device if self.backend == "nccl" and self.device else torch.device("cpu")


SINGLE = Distributed()


def torchrun_env(environ: Mapping[str, str] | None = None) -> tuple[int, int, int] | None:
    """``(world_size, rank, local_rank)`` from torchrun's environment, or None outside it."""
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" not in env:
        return None
    try:
        world, rank, local = (int(env.get(k, "0")) for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK"))
    except ValueError:
        raise ConfigError(
            "WORLD_SIZE, RANK and LOCAL_RANK must be integers (torchrun sets them); got "
            f"{env.get('WORLD_SIZE')!r}, {env.get('RANK')!r}, {env.get('LOCAL_RANK')!r}"
        ) from None
    if world < 1 or not 0 <= rank < world or local < 0:
        raise ConfigError(f"RANK {rank} and LOCAL_RANK {local} do not fit WORLD_SIZE {world}")
    return world, rank, local


def process_device(name: str, local_rank: int) -> torch.device:
    """The device of process ``local_rank`` on its machine for ``train.device`` ``name``:
    ``auto`` and ``cuda`` are ``cuda:LOCAL_RANK`` (or the CPU for ``auto`` without CUDA)."""
    if name.startswith("cuda:"):
        raise ConfigError(
            f"--device {name} under torchrun: each process trains on cuda:LOCAL_RANK; pass "
            "--device cuda (or auto), and CUDA_VISIBLE_DEVICES to choose the GPUs"
        )
    if name == "mps":
        raise ConfigError("torch.distributed has no MPS backend: under torchrun use cpu or cuda")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return resolve_device(f"cuda:{local_rank}")  # a clear error without that GPU


def choose_backend(requested: str, device: torch.device) -> str:
    """``train.dist_backend`` for ``device``: auto is NCCL on CUDA and gloo on the CPU."""
    if requested == "auto":
        return "nccl" if device.type == "cuda" else "gloo"
    if requested == "nccl" and device.type != "cuda":
        raise ConfigError(
            f"--dist-backend nccl needs CUDA devices, and this process trains on {device}; "
            "use gloo (or auto)"
        )
    if requested == "nccl" and not dist.is_nccl_available():
        raise ConfigError("--dist-backend nccl: this PyTorch build has no NCCL; use gloo")
    return requested


def check_sync_bn(train: TrainConfig, device: torch.device) -> None:
    """``--sync-bn`` needs SyncBatchNorm to work where the processes train."""
    if train.sync_bn and device.type != "cuda":
        raise ConfigError(
            f"--sync-bn needs GPUs: SyncBatchNorm in torch {torch.__version__} synchronises "
            "CUDA tensors only; on CPUs train without it (batch norm then uses each process's "
            "own batch)"
        )


def sync_batch_norm(recipe: Recipe) -> None:
    """Turn the batch norm layers of ``recipe``'s G and D into SyncBatchNorm, whose training
    statistics are those of all processes' batches together (the same parameters and
    buffers, so checkpoints are unchanged). Call it before :meth:`Recipe.distribute`.

    A D differentiated twice (a gradient penalty) cannot have them: SyncBatchNorm has no
    double backward, so such a D with batch norm is refused.
    """
    d_has_bn = any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in recipe.discriminator.modules()
    )
    if d_has_bn and recipe.double_backward:
        raise ConfigError(
            f"--sync-bn: {recipe.name}'s D has batch norm under a gradient penalty, and "
            f"SyncBatchNorm has no double backward ({SYNC_BN_DOUBLE_BACKWARD_ISSUE}); train it "
            "without --sync-bn"
        )
    recipe.generator = nn.SyncBatchNorm.convert_sync_batchnorm(recipe.generator)
    recipe.discriminator = nn.SyncBatchNorm.convert_sync_batchnorm(recipe.discriminator)


class AgreedStop(StopRequest):
    """A stop request that every process acts on at the same step.

    ``local`` is this process's own (set by its signal handler); :attr:`requested` turns
    true only when the processes next compare notes (once per log interval, see
    ``Trainer._agree``) and any of them had one, so none stops a step before the others and
    leaves them waiting in a collective.
    """

    def __init__(self, local: StopRequest) -> None:
        super().__init__()
        self.local = local

    def agree(self, anyone_asked: bool) -> None:
        """Record the processes' verdict: whether any of them was asked to stop."""
        if anyone_asked and not self.requested:
            self.requested = True
            self.signal_name = self.local.signal_name or "a signal to another process"


@contextmanager
def process_group(
    train: TrainConfig, environ: Mapping[str, str] | None = None
) -> Iterator[Distributed]:
    """Join torchrun's process group for the duration of a training, and leave it after.

    Outside torchrun (or with one process) this yields :data:`SINGLE` and does nothing. A
    collective that fails inside (a process died, or none answered within
    ``train.dist_timeout`` seconds) becomes a one-line :class:`DistributedError`.
    """
    env = torchrun_env(environ)
    if env is None or env[0] == 1:
        yield SINGLE
        return
    world, rank, local = env
    device = process_device(train.device, local)
    backend = choose_backend(train.dist_backend, device)
    check_sync_bn(train, device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    try:
        dist.init_process_group(  # the rendezvous address from MASTER_ADDR, MASTER_PORT
            backend,
            rank=rank,
            world_size=world,
            timeout=timedelta(seconds=train.dist_timeout),
            device_id=device if device.type == "cuda" else None,
        )
    except dist.DistError as err:
        raise DistributedError(_failure(rank, "could not join the process group", err)) from None
    try:
        yield Distributed(rank, world, local, device, backend)
    except RuntimeError as err:  # DistError is one; gloo raises plain ones too
        if not _raised_by_torch_distributed(err):
            raise  # a bug: its traceback is wanted
        raise DistributedError(
            _failure(rank, "a collective between the training processes failed", err)
        ) from None
    finally:
        dist.destroy_process_group()


def _raised_by_torch_distributed(err: BaseException) -> bool:
    """Whether ``err`` is a communication failure: a DistError, or a RuntimeError whose
    innermost Python frame is torch.distributed's or DDP's (gloo reports a peer that died,
    "Connection closed by peer", as a plain RuntimeError)."""
    if isinstance(err, dist.DistError):
        return True
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = Path(tb.tb_frame.f_code.co_filename).as_posix() if tb is not None else ""
    return "/torch/distributed/" in where or "/torch/nn/parallel/" in where


def _failure(rank: int, what: str, err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return (
        f"rank {rank}: {what} (another process failed, or none answered within "
        f"--dist-timeout): {lines[0] if lines else type(err).__name__}"
    )
