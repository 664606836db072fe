"""The opt-in speed settings change the speed, not the training: bf16 autocast tracks fp32,
compiled networks give the same steps as eager ones, and ``auto`` picks bf16 only where the
hardware has it."""

import os
import shutil
from pathlib import Path

import pytest
import torch

from ganforge.data import ImageData
from ganforge.engine import speed
from ganforge.engine.trainer import Trainer
from ganforge.setup.build import build_recipe, make_config


def _samples_after_steps(
    tmp_path: Path, data: ImageData, recipe: str, name: str, model=None, **train
) -> torch.Tensor:
    """G's images for fixed latents after 3 training steps."""
    settings = {"steps": 3, "batch_size": 32, "sample_every": 0, **train}
    cfg = make_config(recipe, overrides={"train": settings, "model": model or {}})
    trainer = Trainer(cfg, tmp_path / name, data=data, display=False)
    trainer.run()
    z = torch.randn(16, cfg.model.latent_dim, generator=torch.Generator().manual_seed(1))
    return trainer.recipe.sample_images(z)


@pytest.mark.parametrize("recipe", ["dcgan", "wgan-gp"])
def test_bf16_autocast_tracks_fp32(tmp_path, tiny_data, one_thread, recipe):
    """After 3 steps, bf16's images differ from fp32's by < 0.03 (measured: 0.008 for dcgan,
    0.003 for wgan-gp, whose gradient penalty runs under autocast too), while another seed's
    differ by 0.14 and 0.25: the tolerance would catch a broken autocast."""
    # Batches of 8: bf16 is emulated (slow) on CPUs without native support. G itself, not an
    # average: after 3 steps the average's own batch-norm statistics divide by the tiny spread
    # of barely trained activations and magnify every difference (0.07, and 1.15 for seed 1).
    live = {"ema_decay": 0.0}
    fp32 = _samples_after_steps(tmp_path, tiny_data, recipe, "fp32", live, batch_size=8)
    bf16 = _samples_after_steps(
        tmp_path, tiny_data, recipe, "bf16", live, batch_size=8, precision="bf16"
    )
    other_seed = _samples_after_steps(
        tmp_path, tiny_data, recipe, "seed1", live, batch_size=8, seed=1
    )
    assert (fp32 - bf16).abs().max() < 0.03
    assert (fp32 - other_seed).abs().max() > 0.1


@pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="torch.compile on the CPU needs a C compiler",
)
def test_compiled_networks_train_as_eager_ones(tmp_path, tiny_data, one_thread, monkeypatch):
    """Equal to rounding. Inductor draws dropout's randomness from a stream of its own; the
    comparison makes it use eager's (``fallback_random``), or D's dropout would differ."""
    import torch._inductor.config as inductor

    monkeypatch.setattr(inductor, "fallback_random", True)
    # A compile cache of this test's own: inductor's shared one (/tmp/torchinductor_USER) keeps
    # kernels built under another ATEN_CPU_CAPABILITY, which crash when loaded under this one.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    if os.environ.get("ATEN_CPU_CAPABILITY") == "default":
        # ATen without vector kernels: its headers then lack at::vec, which inductor's
        # vectorized C++ needs (it picks the ISA from the CPU, not from ATen): scalar code.
        monkeypatch.setattr(inductor.cpp, "simdlen", 1)
    tiny = {"latent_dim": 8, "g_hidden": [32], "d_hidden": [32]}
    eager = _samples_after_steps(tmp_path, tiny_data, "gan", "eager", tiny)
    compiled = _samples_after_steps(tmp_path, tiny_data, "gan", "compiled", tiny, compile=True)
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-5)


def test_a_gradient_penalty_keeps_d_eager():
    """Compiled graphs have no double backward: WGAN-GP, and dcgan with its R1 penalty,
    compile only G; without the penalty dcgan compiles D too."""
    for recipe in (
        build_recipe(make_config("wgan-gp"), 10),
        build_recipe(make_config("dcgan"), 10),
    ):
        speed.compile_networks(recipe)
        assert recipe.generator._compiled_call_impl is not None
        assert recipe.discriminator._compiled_call_impl is None
    dcgan = build_recipe(make_config("dcgan", overrides={"model": {"r1_weight": 0.0}}), 10)
    speed.compile_networks(dcgan)
    assert dcgan.discriminator._compiled_call_impl is not None


@pytest.mark.parametrize(
    ("flags", "native"),
    [({"fma", "avx2"}, False), ({"avx512f", "avx512_bf16"}, True), ({"amx_bf16"}, True)],
)
def test_auto_precision_is_bf16_only_on_native_hardware(monkeypatch, flags, native):
    monkeypatch.setattr(speed, "cpu_flags", lambda: flags)
    cpu = torch.device("cpu")
    assert speed.native_bf16(cpu) is native
    assert speed.resolve_precision("auto", cpu) == ("bf16" if native else "fp32")
    assert speed.resolve_precision("fp32", cpu) == "fp32"
    assert (speed.slow_bf16_warning("bf16", cpu) is None) is native
    assert speed.slow_bf16_warning("fp32", cpu) is None


def test_cpu_flags_reads_this_machine():
    flags = speed.cpu_flags()
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    if any(line.startswith(("flags", "Features")) for line in lines):
        assert flags and all(" " not in flag and ":" not in flag for flag in flags)
