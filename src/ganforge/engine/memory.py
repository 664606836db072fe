"""Peak memory of a stretch of work: the GPU's peak allocation on CUDA, else the process's peak
resident set (Linux: the kernel's high-water mark, which can be restarted)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
from pathlib import Path

import torch

__all__ = ["PeakMemory", "peak_cuda_mib", "peak_rss_mib", "reset_peak_rss"]


def reset_peak_rss() -> None:
    """Restart the kernel's peak-RSS counter of this process (Linux ≥ 4.0; elsewhere the
    figures are the process's peak so far)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mib() -> float:
    """The process's peak resident memory since the last :func:`reset_peak_rss`, in MiB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource  # POSIX only; /proc answers first where it exists

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_cuda_mib(device: torch.device) -> float | None:
    """Peak memory allocated on ``device`` since the last reset, in MiB; None off CUDA."""
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def _release_free_heap() -> None:
    """Hand freed heap memory back to the system (glibc), so that the resident set a new
    measurement starts from holds live memory, not what earlier work left free in the heap."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakMemory:
    """The peak memory of one device's work, with pauses that leave some of it out (the
    trainer's evaluations, as its training time does).

    ``kind`` says what is measured: ``"cuda allocated"`` or ``"process RSS"`` (on a CPU the
    process's whole resident set: torch, the data and the evaluator included).
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.kind = "cuda allocated" if device.type == "cuda" else "process RSS"
        self._peak = 0.0
        self.resume()

    def _read(self) -> float:
        cuda = peak_cuda_mib(self.device)
        return cuda if cuda is not None else peak_rss_mib()

    def pause(self) -> None:
        """Keep the peak so far; what happens until :meth:`resume` is left out."""
        self._peak = max(self._peak, self._read())

    def resume(self) -> None:
        """Start measuring again from the memory in use now."""
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            _release_free_heap()
            reset_peak_rss()

    def peak_mib(self) -> float:
        """The peak so far, paused stretches left out, in MiB."""
        self.pause()
        return self._peak
