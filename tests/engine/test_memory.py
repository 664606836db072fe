"""Peak memory with pauses: what happens while paused is left out."""

import torch

from ganforge.engine.memory import PeakMemory, peak_rss_mib, reset_peak_rss


def test_peak_rss_restarts_from_the_memory_in_use():
    reset_peak_rss()
    base = peak_rss_mib()
    block = torch.ones(64 * 2**20 // 4)  # 64 MiB, touched
    assert peak_rss_mib() >= base + 60
    del block


def test_a_paused_stretch_is_left_out():
    memory = PeakMemory(torch.device("cpu"))
    assert memory.kind == "process RSS"
    start = memory.peak_mib()
    memory.pause()
    block = torch.ones(128 * 2**20 // 4)  # 128 MiB while paused: not counted
    del block
    memory.resume()
    assert memory.peak_mib() < start + 64
    block = torch.ones(128 * 2**20 // 4)  # counted
    assert memory.peak_mib() >= start + 120
    del block
