"""Optional Inception-V3 FID: clear one-line errors without torch-fidelity or its weights, and
the feeding (grey tiled to 3 channels, uint8, chunks, no grad, cached real side) checked with a
small stand-in feature network. No network access, no weights, no torch-fidelity needed."""

import pickle
import socket
import sys
import types
import urllib.error
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance

from ganforge.errors import DataError, DependencyError
from ganforge.evaluation import inception
from ganforge.evaluation.inception import (
    WEIGHTS_FILE,
    InceptionFID,
    ensure_weights,
    load_inception,
    require_torch_fidelity,
)
from ganforge.evaluation.metrics import fid

# What torch.hub's download raises here with no route to GitHub (tried once with the real
# torch-fidelity 0.4.0 and torchmetrics 1.9: FrechetInceptionDistance(feature=2048) ->
# torch.hub.load_state_dict_from_url -> download_url_to_file -> urlopen).
OFFLINE = urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Path:
    """An empty torch hub folder; any download attempt fails as it does offline."""
    calls = []

    def offline(url, dst, *args, **kwargs):
        calls.append(url)
        raise OFFLINE

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    return tmp_path / "hub"


@pytest.fixture
def fake_fidelity(monkeypatch) -> None:
    """torch-fidelity "installed" (an empty module), whether or not it really is."""
    monkeypatch.setitem(sys.modules, "torch_fidelity", types.ModuleType("torch_fidelity"))


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def test_without_torch_fidelity_the_install_command_is_the_message(monkeypatch, hub):
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # as if not installed
    with pytest.raises(DependencyError) as err:
        require_torch_fidelity()
    assert (
        one_line(err)
        == inception.INSTALL_HINT
        == ("Inception-V3 FID needs torch-fidelity: pip install 'ganforge[inception]'")
    )
    with pytest.raises(DependencyError, match=r"pip install 'ganforge\[inception\]'"):
        load_inception()
    assert not hub.exists()  # checked first: no download attempted


def test_offline_without_weights_names_the_file_and_where_to_put_it(hub, fake_fidelity):
    with pytest.raises(DependencyError) as err:
        load_inception()
    message = one_line(err)
    assert WEIGHTS_FILE == "weights-inception-2015-12-05-6726825d.pth"
    assert f"needs the weights file {WEIGHTS_FILE}, which could not be downloaded" in message
    assert "Name or service not known)" in message
    assert f"in {hub / 'checkpoints'}" in message and "torch.hub.get_dir()/checkpoints" in message
    assert inception.WEIGHTS_URL in message
    assert list((hub / "checkpoints").iterdir()) == []  # nothing half-downloaded left


def test_a_corrupt_cached_weights_file_is_named_with_the_fix(hub):
    (hub / "checkpoints").mkdir(parents=True)
    (hub / "checkpoints" / WEIGHTS_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(DependencyError) as err:
        ensure_weights()
    message = one_line(err)
    assert f"cannot use the Inception-V3 weights {hub / 'checkpoints' / WEIGHTS_FILE}" in message
    assert "delete it and put" in message


class Payload:
    """Unpickling this creates ``marker``: stands in for code a tampered file would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_weights_file_with_a_live_pickle_is_refused_unrun(hub, tmp_path):
    marker = tmp_path / "ran"
    (hub / "checkpoints").mkdir(parents=True)
    path = hub / "checkpoints" / WEIGHTS_FILE
    torch.save({"fc.weight": torch.zeros(2), "hook": Payload(marker)}, path)
    with pytest.raises(DependencyError, match="cannot use the Inception-V3 weights"):
        ensure_weights()
    assert not marker.exists()
    pickle.loads(pickle.dumps(Payload(marker)))  # control: the payload is live
    assert marker.exists()


def test_a_plain_cached_state_dict_is_accepted_with_its_hash(hub):
    (hub / "checkpoints").mkdir(parents=True)
    path = hub / "checkpoints" / WEIGHTS_FILE
    torch.save({"fc.weight": torch.ones(3, 2)}, path)
    found, sha256 = ensure_weights()  # no download: the offline stub would raise
    assert found == path and len(sha256) == 64


def test_with_real_torch_fidelity_a_wrong_state_dict_is_one_line(hub):
    """The real torchmetrics + torch-fidelity construction, from the cache (no download)."""
    pytest.importorskip("torch_fidelity", reason="torch-fidelity (ganforge[inception]) absent")
    (hub / "checkpoints").mkdir(parents=True)
    torch.save({"fc.weight": torch.ones(3, 2)}, hub / "checkpoints" / WEIGHTS_FILE)
    with pytest.raises(DependencyError) as err:
        load_inception()
    assert "not torch-fidelity's network" in one_line(err)


# ---------------------------------------------------------------------------------------------
# The feeding, with a small stand-in for Inception-V3 (torchmetrics' custom-feature path)


class GreyStats(nn.Module):
    """4 features of a uint8 B×3×H×W batch; checks what the metric is fed and records it."""

    num_features = 4

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def forward(self, x: Tensor) -> Tensor:
        assert x.dtype == torch.uint8 and x.dim() == 4 and x.shape[1:] == (3, 28, 28)
        assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 0], x[:, 2])  # grey tiled
        assert not torch.is_grad_enabled()
        self.batches.append(x.shape[0])
        return features(x[:, 0])


def features(grey: Tensor) -> Tensor:
    g = grey.double().flatten(1) / 255
    return torch.stack(
        [g.mean(1), g.std(1), (g > 0.5).double().mean(1), g[:, :392].mean(1) ** 2], dim=1
    )


def images(n: int, seed: int, bright: float = 1.0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 28, 28, generator=g) ** (1 / bright)
    return (x * 255).round().to(torch.uint8)


def test_score_feeds_uint8_grey_tiled_chunks_and_matches_the_direct_fid(tmp_path):
    net = GreyStats()
    scorer = InceptionFID(
        FrechetInceptionDistance(feature=net), {"file": "x", "sha256": "0"}, chunk=7
    )
    real, fake = images(30, 0), images(20, 1, bright=2.0)
    cache = tmp_path / "inception" / "real.safetensors"
    value = scorer.score(real, fake, real_cache=cache, display=False)
    assert net.batches == [7, 7, 7, 7, 2, 7, 7, 6]  # 30 real, then 20 fake
    assert value == pytest.approx(fid(features(real), features(fake)), rel=1e-6)
    assert value > 0.01

    # The real side's statistics come from the cache the second time.
    net.batches.clear()
    assert cache.exists()
    assert scorer.score(real, fake, real_cache=cache, display=False) == pytest.approx(value)
    assert net.batches == [7, 7, 6]
    # ... but not a cache made under other weights or for another real set.
    other = InceptionFID(scorer.metric, {"file": "x", "sha256": "1"}, chunk=7)
    net.batches.clear()
    other.score(real, fake, real_cache=cache, display=False)
    assert len(net.batches) == 8
    net.batches.clear()
    scorer.score(real[:29], fake, real_cache=cache, display=False)
    assert len(net.batches) == 8


def test_score_refuses_what_is_not_uint8_images():
    scorer = InceptionFID(FrechetInceptionDistance(feature=GreyStats()), {"file": "x"})
    with pytest.raises(DataError, match="at least 2 uint8 N×28×28 fake images, got float32"):
        scorer.score(images(4, 0), images(4, 1).float(), display=False)


def test_protocol_says_what_was_fed_and_how_many():
    scorer = InceptionFID(FrechetInceptionDistance(feature=GreyStats()), {"file": WEIGHTS_FILE})
    text = scorer.protocol(10_000, 500)
    assert text.startswith("inception-v3-fid: torchmetrics FrechetInceptionDistance(feature=2048)")
    for part in ("grey tiled to 3 channels", "uint8", "299", "test split 10,000", "500 samples"):
        assert part in text
