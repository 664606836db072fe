"""Safetensors checkpoints: exact round trip, RNG state, refusal of bad files, atomic writes."""

import itertools
import json
import os
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import ganforge.rundir.atomic as safefile
from ganforge.errors import CheckpointError
from ganforge.models import Recipe
from ganforge.rundir.checkpoint import (
    FORMAT,
    load_checkpoint,
    recipe_modules,
    restore,
    save_checkpoint,
)
from ganforge.setup.build import build_recipe, make_config


@pytest.fixture(autouse=True)
def _one_thread_and_own_rng():
    """One intra-op thread (2 shared cores) and a global RNG state restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng(devices=[]):
        yield
    torch.set_num_threads(threads)


def trained(name: str = "dcgan", steps: int = 2, seed: int = 0):
    """A small recipe after ``steps`` D and G Adam steps, so optimizer state is non-trivial."""
    torch.manual_seed(seed)
    cfg = make_config(
        name, overrides={"model": {"g_channels": 8, "d_channels": 8}} if "dcgan" in name else None
    )
    recipe = build_recipe(cfg, 10)
    opt_g, opt_d = recipe.make_optimizers()
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    labels = torch.tensor([0, 1, 2, 3])
    for _ in range(steps):
        loss, _ = recipe.discriminator_step_loss(real, labels)
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
        loss, _ = recipe.generator_step_loss(4)
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
    return cfg, recipe, opt_g, opt_d


def save(path: Path, cfg, recipe: Recipe, opt_g, opt_d, step: int = 2) -> Path:
    return save_checkpoint(
        path,
        modules=recipe_modules(recipe),
        optimizers={"opt_g": opt_g, "opt_d": opt_d},
        meta={"recipe": cfg.recipe, "step": step, "config": cfg.to_dict(), "num_classes": 10},
    )


def assert_state_dicts_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        assert torch.equal(a[k], b[k]), k


def json_form(groups: list[dict]) -> list[dict]:
    return json.loads(json.dumps(groups))  # tuples (betas) become lists in the metadata


@pytest.fixture
def saved(tmp_path: Path):
    cfg, recipe, opt_g, opt_d = trained()
    path = save(tmp_path / "last.safetensors", cfg, recipe, opt_g, opt_d)
    return path, cfg, recipe, opt_g, opt_d


# -- round trip -------------------------------------------------------------------------------


def test_round_trip_weights_buffers_and_optimizers(saved) -> None:
    path, _, recipe, opt_g, opt_d = saved
    _, fresh, fresh_g, fresh_d = trained(steps=0, seed=1)  # other weights, empty Adam state
    ckpt = load_checkpoint(path)
    restore(
        ckpt,
        modules=recipe_modules(fresh),
        optimizers={"opt_g": fresh_g, "opt_d": fresh_d},
        rng=False,
    )
    g_state = recipe.generator.state_dict()
    assert any("running_mean" in k for k in g_state)  # BN buffers are part of the check
    assert recipe.generator.state_dict()["2.num_batches_tracked"].item() == 4  # 2 D + 2 G steps
    assert_state_dicts_equal(fresh.generator.state_dict(), g_state)
    assert_state_dicts_equal(fresh.discriminator.state_dict(), recipe.discriminator.state_dict())
    for ours, theirs in ((fresh_g, opt_g), (fresh_d, opt_d)):
        a, b = ours.state_dict(), theirs.state_dict()
        assert a["state"].keys() == b["state"].keys()
        assert len(a["state"]) == len(list(ours.param_groups[0]["params"]))
        for pid in a["state"]:
            assert_state_dicts_equal(a["state"][pid], b["state"][pid])
            assert a["state"][pid]["step"].item() == 2
        assert json_form(a["param_groups"]) == json_form(b["param_groups"])


def test_restored_optimizer_continues_identically(saved) -> None:
    path, _, recipe, _, opt_d = saved
    _, fresh, fresh_g, fresh_d = trained(steps=0, seed=1)
    restore(
        load_checkpoint(path),
        modules=recipe_modules(fresh),
        optimizers={"opt_g": fresh_g, "opt_d": fresh_d},
        rng=False,
    )
    for net, opt in ((recipe.discriminator, opt_d), (fresh.discriminator, fresh_d)):
        for p in net.parameters():
            p.grad = torch.full_like(p, 0.01)
        opt.step()
    for a, b in zip(
        recipe.discriminator.parameters(), fresh.discriminator.parameters(), strict=True
    ):
        assert torch.equal(a, b)


def test_metadata(saved) -> None:
    path, cfg, *_ = saved
    ckpt = load_checkpoint(path)
    assert ckpt.path == path
    assert ckpt.step == 2
    assert ckpt.recipe == "dcgan"
    assert ckpt.config == json.loads(json.dumps(cfg.to_dict()))
    assert ckpt.meta["format"] == FORMAT
    assert ckpt.meta["num_classes"] == 10
    assert set(ckpt.meta["optimizers"]) == {"opt_g", "opt_d"}


def test_module_state_strips_prefix(saved) -> None:
    path, _, recipe, *_ = saved
    state = load_checkpoint(path).module_state("generator")
    assert state.keys() == recipe.generator.state_dict().keys()


def test_rng_state_restored(saved) -> None:
    path, *_ = saved
    after_save = torch.rand(5)
    torch.rand(100)  # move the RNG on
    ckpt = load_checkpoint(path)
    _, fresh, _, _ = trained(steps=0, seed=3)
    restore(ckpt, modules=recipe_modules(fresh))
    assert torch.equal(torch.rand(5), after_save)


def test_rng_state_left_alone_when_asked(saved) -> None:
    path, *_ = saved
    after_save = torch.rand(5)
    ckpt = load_checkpoint(path)
    _, fresh, _, _ = trained(steps=0, seed=3)
    torch.manual_seed(123)
    expected = torch.rand(5)
    torch.manual_seed(123)
    restore(ckpt, modules=recipe_modules(fresh), rng=False)
    got = torch.rand(5)
    assert torch.equal(got, expected)
    assert not torch.equal(got, after_save)


# -- the file format ----------------------------------------------------------------------------


def test_file_is_plain_safetensors(saved) -> None:
    path, _, recipe, *_ = saved
    with safe_open(str(path), framework="pt") as fh:
        keys = set(fh.keys())
        meta = json.loads(fh.metadata()["ganforge"])
        weight = fh.get_tensor("generator.0.weight")
    assert "rng.cpu" in keys
    assert "discriminator.0.1.weight" in keys
    assert any(k.startswith("opt_d.state.0.") for k in keys)
    assert meta["recipe"] == "dcgan"
    assert torch.equal(weight, recipe.generator[0].weight.detach())


def test_file_holds_only_header_and_raw_tensor_bytes(saved) -> None:
    # safetensors layout: u64 header size, JSON header, then the tensors' raw bytes back to
    # back. If the header's offsets account for every remaining byte, nothing else (no pickle)
    # can be in the file.
    path, *_ = saved
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    spans = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    assert spans[0][0] == 0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert spans[-1][1] == len(data) - 8 - n
    assert b"pickle" not in data[: 8 + n].lower()


# -- bad files --------------------------------------------------------------------------------


def test_truncated_file(saved, tmp_path: Path) -> None:
    path, *_ = saved
    cut = tmp_path / "cut.safetensors"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(cut)
    assert str(cut) in str(info.value)
    assert "not a readable checkpoint" in str(info.value)


@pytest.mark.parametrize("content", [os.urandom(4096), b"", b"\x00" * 8, b"PK\x03\x04 zip"])
def test_garbage_file(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "junk.safetensors"
    p.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "none.safetensors")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path)  # a folder is not a checkpoint file


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {"other": "x"},
        {"ganforge": "{not json"},
        {"ganforge": json.dumps(["a", "list"])},
        {"ganforge": json.dumps({"format": "ganforge-checkpoint/0", "recipe": "gan"})},
        # Found by tests/fuzz: JSON nested too deeply for Python's parser (a RecursionError
        # traceback), nested past the depth limit, and an integer of more digits than it reads.
        {"ganforge": "[" * 100_000 + "]" * 100_000},
        {
            "ganforge": json.dumps({"format": "ganforge-checkpoint/1", "x": [[[[]]]]}).replace(
                "[[[[]]]]", "[" * 40 + "]" * 40
            )
        },
        {"ganforge": '{"format": "ganforge-checkpoint/1", "step": ' + "9" * 5000 + "}"},
    ],
)
def test_safetensors_without_ganforge_metadata(tmp_path: Path, metadata) -> None:
    p = tmp_path / "plain.safetensors"
    save_file({"x": torch.zeros(3)}, str(p), metadata=metadata)
    with pytest.raises(CheckpointError, match=r"not a ganforge checkpoint|nests JSON over 32"):
        load_checkpoint(p)


def test_restore_into_other_recipe(tmp_path: Path) -> None:
    cfg, gan, opt_g, opt_d = trained("gan", steps=1)
    path = save(tmp_path / "gan.safetensors", cfg, gan, opt_g, opt_d)
    _, dcgan, _, _ = trained("dcgan", steps=0)
    before = [p.detach().clone() for p in dcgan.generator.parameters()]
    with pytest.raises(CheckpointError) as info:
        restore(load_checkpoint(path), modules=recipe_modules(dcgan))
    assert str(path) in str(info.value)
    assert "'gan'" in str(info.value)
    assert all(torch.equal(a, p) for a, p in zip(before, dcgan.generator.parameters(), strict=True))


def test_restore_with_unknown_optimizer_name(saved) -> None:
    path, _, recipe, opt_g, _ = saved
    with pytest.raises(CheckpointError, match="holds no state of optimizer opt_x"):
        restore(
            load_checkpoint(path),
            modules=recipe_modules(recipe),
            optimizers={"opt_x": opt_g},
            rng=False,
        )


@pytest.mark.parametrize("dropped", ["opt_d.state.3.exp_avg_sq", "opt_g.state.0.step"])
def test_an_optimizer_state_missing_a_tensor_is_refused(saved, tmp_path, dropped) -> None:
    """Found by tests/fuzz: a checkpoint without one parameter's exp_avg_sq (or step)
    resumed, and Adam's first step failed with a KeyError traceback."""
    path, _, recipe, opt_g, opt_d = saved
    tensors, meta = safefile.read_safetensors(path, "checkpoint")
    del tensors[dropped]
    cut = tmp_path / "cut.safetensors"
    save_file(tensors, str(cut), metadata={"ganforge": json.dumps(meta)})
    pid, name = dropped.split(".")[2:]
    with pytest.raises(CheckpointError, match=f"state of parameter {pid} lacks {name}, which"):
        restore(
            load_checkpoint(cut),
            modules=recipe_modules(recipe),
            optimizers={"opt_g": opt_g, "opt_d": opt_d},
            rng=False,
        )


@pytest.mark.parametrize("name", ["exp_avg_sq", "exp_avg"])
def test_an_optimizer_state_missing_a_tensor_everywhere_is_refused(saved, tmp_path, name) -> None:
    """A state without exp_avg_sq for every parameter (the same names for each, so no
    parameter stands out) resumed, and Adam's first step failed with a KeyError traceback."""
    path, _, recipe, opt_g, opt_d = saved
    tensors, meta = safefile.read_safetensors(path, "checkpoint")
    kept = {k: v for k, v in tensors.items() if not k.startswith("opt_g.state.") or
            not k.endswith(f".{name}")}  # fmt: skip
    cut = tmp_path / "cut.safetensors"
    save_file(kept, str(cut), metadata={"ganforge": json.dumps(meta)})
    with pytest.raises(CheckpointError, match=f"opt_g's state lacks {name}, which Adam's state"):
        restore(
            load_checkpoint(cut),
            modules=recipe_modules(recipe),
            optimizers={"opt_g": opt_g, "opt_d": opt_d},
            rng=False,
        )
    restore(  # the checkpoint as saved loads
        load_checkpoint(path),
        modules=recipe_modules(recipe),
        optimizers={"opt_g": opt_g, "opt_d": opt_d},
        rng=False,
    )


@pytest.mark.parametrize("key", ["lr", "betas", "eps", "weight_decay"])
def test_a_parameter_group_missing_a_hyperparameter_is_refused(saved, tmp_path, key) -> None:
    """Found by tests/fuzz: a checkpoint whose opt_g group lacked lr (betas, eps,
    weight_decay) resumed, and Adam's first step failed with a KeyError traceback."""
    path, _, recipe, opt_g, opt_d = saved
    tensors, meta = safefile.read_safetensors(path, "checkpoint")
    del meta["optimizers"]["opt_g"]["param_groups"][0][key]
    del meta["optimizers"]["opt_g"]["param_groups"][0]["maximize"]  # a flag: filled in
    cut = tmp_path / "cut.safetensors"
    save_file(tensors, str(cut), metadata={"ganforge": json.dumps(meta)})
    optimizers = {"opt_g": opt_g, "opt_d": opt_d}
    with pytest.raises(CheckpointError, match=f"opt_g's parameter group lacks {key}$"):
        restore(load_checkpoint(cut), modules=recipe_modules(recipe), optimizers=optimizers)


@pytest.mark.parametrize("name", ["opt_g.state.0.exp_avg", "generator.net.0.weight"])
def test_finiteness_is_checked_in_the_live_dtype(saved, tmp_path, name) -> None:
    """A float64 1e300 is finite as saved but infinite in the float32 tensor it loads into;
    float8, which ganforge never writes and torch cannot test for finiteness, is refused."""
    path, _, recipe, opt_g, opt_d = saved
    tensors, meta = safefile.read_safetensors(path, "checkpoint")
    name = name if name in tensors else next(k for k in tensors if k.startswith("generator."))
    cut = tmp_path / "cut.safetensors"
    optimizers = {"opt_g": opt_g, "opt_d": opt_d}
    for value, error in [
        (torch.full(tensors[name].shape, 1e300, dtype=torch.float64), "holds NaN or infinity"),
        (tensors[name].to(torch.float8_e4m3fn), "is float8_e4m3fn"),
    ]:
        save_file({**tensors, name: value}, str(cut), metadata={"ganforge": json.dumps(meta)})
        with pytest.raises(CheckpointError, match=error):
            restore(load_checkpoint(cut), modules=recipe_modules(recipe), optimizers=optimizers)


def test_an_invalid_generator_state_is_refused_on_load(saved, tmp_path) -> None:
    """Found by tests/fuzz: rng.cpu of the right size filled with one value resumed until
    torch.set_rng_state failed ("Invalid mt19937 state", a RuntimeError traceback)."""
    path, *_ = saved
    tensors, meta = safefile.read_safetensors(path, "checkpoint")
    tensors["rng.cpu"] = torch.full_like(tensors["rng.cpu"], 7)
    cut = tmp_path / "cut.safetensors"
    save_file(tensors, str(cut), metadata={"ganforge": json.dumps(meta)})
    with pytest.raises(CheckpointError, match=r"rng\.cpu is no CPU generator state"):
        load_checkpoint(cut)


# -- atomic writes --------------------------------------------------------------------------------


def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the save_file that checkpoints use write half a file, then fail like a full disk."""

    def failing_save_file(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safefile, "save_file", failing_save_file)


def test_failed_write_keeps_previous_checkpoint(saved, monkeypatch: pytest.MonkeyPatch) -> None:
    path, cfg, recipe, opt_g, opt_d = saved
    original = path.read_bytes()
    disk_full(monkeypatch)
    with pytest.raises(CheckpointError) as info:
        save(path, cfg, recipe, opt_g, opt_d, step=3)
    msg = str(info.value)
    assert str(path) in msg
    assert "No space left on device" in msg
    assert "previous checkpoint there is intact" in msg
    assert path.read_bytes() == original
    assert load_checkpoint(path).step == 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    cfg, recipe, opt_g, opt_d = trained(steps=0)
    disk_full(monkeypatch)
    target = tmp_path / "last.safetensors"
    with pytest.raises(CheckpointError) as info:
        save(target, cfg, recipe, opt_g, opt_d)
    assert "intact" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_file_and_leaves_no_temp(saved) -> None:
    path, cfg, recipe, opt_g, opt_d = saved
    save(path, cfg, recipe, opt_g, opt_d, step=9)
    assert load_checkpoint(path).step == 9
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_restored_optimizers_keep_this_machines_kernels(tmp_path: Path):
    """A checkpoint of an unfused optimizer (an older ganforge, another device) resumes with
    the fused kernels the live optimizer chose; the state itself is the saved one."""
    cfg, recipe, opt_g, opt_d = trained()
    for opt in (opt_g, opt_d):
        for group in opt.param_groups:
            group["fused"] = None
    path = save(tmp_path / "old.safetensors", cfg, recipe, opt_g, opt_d)
    fresh = build_recipe(cfg, 10)
    new_g, new_d = fresh.make_optimizers()
    restore(
        load_checkpoint(path),
        modules=recipe_modules(fresh),
        optimizers={"opt_g": new_g, "opt_d": new_d},
        rng=False,
    )
    for new, old in ((new_g, opt_g), (new_d, opt_d)):
        assert all(group["fused"] is True for group in new.param_groups)
        assert new.param_groups[0]["lr"] == old.param_groups[0]["lr"]
        first = next(iter(old.state))
        saved_avg = old.state[first]["exp_avg"]
        assert torch.equal(new.state[new.param_groups[0]["params"][0]]["exp_avg"], saved_avg)
