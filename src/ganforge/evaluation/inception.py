"""Optional Inception-V3 FID under the published protocol, for comparison with the literature.

ganforge's own protocol (``ganforge-eval/1``, :mod:`ganforge.evaluation.evaluate`) measures
grey digits with a classifier trained on them, offline. Papers report FID in the feature space
of the ImageNet Inception-V3 network instead; ``ganforge evaluate --inception`` adds that number
through torchmetrics' :class:`~torchmetrics.image.fid.FrechetInceptionDistance` with its default
feature extractor (``feature=2048``), which is torch-fidelity's port of the TensorFlow FID
network and its weights. Nothing here re-derives the math or re-implements the network:

- images: uint8 N×28×28, grey tiled to 3 channels, handed to the metric as uint8, which
  resizes them to 299×299 itself (torch-fidelity's TF1-compatible bilinear resize, as the
  original TTUR code does, where the installed torchmetrics lets it be chosen);
- real side: the dataset's test split (10,000 images); fake side: the ``n`` samples;
- images go through the network in chunks of :data:`CHUNK`, under ``torch.no_grad``.

Requirements, checked before any work by :func:`load_inception`, each failing with one
:class:`~ganforge.errors.DependencyError` line, never a zero or NaN result:

- the ``torch-fidelity`` package (``pip install 'ganforge[inception]'``);
- the weights file :data:`WEIGHTS_FILE` in torch hub's checkpoints folder
  (``torch.hub.get_dir()/checkpoints``), downloaded from GitHub on first use. Offline, the
  download fails with ``urllib.error.URLError`` (an ``OSError``), and the message names the
  file, its URL and the folder to put it in. The file (a pickled state dict, which is how
  torch-fidelity ships it) is first loaded with ``weights_only=True``, so a tampered file that
  would run code on unpickling is refused before torch-fidelity unpickles it for real.

The test split's Inception statistics (feature sum, cross-product sum, count) are cached in
``ganforge_home()/inception/`` per dataset fingerprint and weights hash: they are half the
work and the same for every evaluation.

Slow on a CPU: Inception-V3 at 299×299 costs about 6 GFLOPs per image; measured 0.3 s per
image on one core of a 2-core machine, so about an hour per 10,000 images (the test split's
once, then cached; then the samples'). A GPU (``--device cuda``) takes minutes.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import math
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import Tensor

from ganforge.data import ganforge_home
from ganforge.errors import CheckpointError, DataError, DependencyError
from ganforge.progress import TaskProgress
from ganforge.rundir.atomic import read_safetensors, write_safetensors

__all__ = [
    "CHUNK",
    "WEIGHTS_FILE",
    "WEIGHTS_URL",
    "InceptionFID",
    "ensure_weights",
    "load_inception",
    "real_cache_path",
    "require_torch_fidelity",
    "weights_path",
]

# torch-fidelity's URL for the FID Inception-V3 weights (torch_fidelity.feature_extractor_
# inceptionv3.URL_INCEPTION_V3, the same in 0.3 and 0.4); torch hub caches a download under
# the URL's last path component.
WEIGHTS_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
WEIGHTS_FILE = Path(urlparse(WEIGHTS_URL).path).name
INSTALL_HINT = "Inception-V3 FID needs torch-fidelity: pip install 'ganforge[inception]'"
# Images per forward pass: 50 × 3 × 299 × 299 float32 is 54 MB of input, and the early
# Inception activations of a chunk (64 × 147 × 147 per image) a few hundred MB more.
CHUNK = 50
# Per socket operation during the weights download: a firewall that drops packets would
# otherwise hang the download (urllib's default is no timeout at all).
DOWNLOAD_TIMEOUT_S = 30.0
FEATURE = 2048
CACHE_FORMAT = "ganforge-inception-real/1"
TF1_RESIZE = "resized by the metric to 299 (torch-fidelity's TF1-compatible bilinear)"
_STATES = ("real_features_sum", "real_features_cov_sum", "real_features_num_samples")


def require_torch_fidelity() -> None:
    """Raise :class:`DependencyError` with the install command unless torch-fidelity imports."""
    try:
        importlib.import_module("torch_fidelity")
    except ImportError:
        raise DependencyError(INSTALL_HINT) from None


def weights_path() -> Path:
    """Where torch hub (and so torch-fidelity) keeps the weights: ``<hub dir>/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _reason(err: BaseException) -> str:
    """The useful part of a download error: URLError's reason, else the message."""
    reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or err
    text = " ".join(str(reason).split())
    return text or type(err).__name__


def ensure_weights(progress: bool = False) -> tuple[Path, str]:
    """The weights file, downloaded into torch hub's cache if absent, checked to be a plain
    state dict; returns its path and SHA-256.

    Raises :class:`DependencyError` (one line) when it cannot be downloaded (offline: a
    ``urllib.error.URLError``) or read, naming the file, its URL and the folder it belongs in.
    """
    path = weights_path()
    where = f"put {WEIGHTS_FILE} (from {WEIGHTS_URL}) in {path.parent}"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                torch.hub.download_url_to_file(WEIGHTS_URL, str(path), None, progress=progress)
        except OSError as err:  # URLError, HTTPError, timeouts, an unwritable hub folder
            raise DependencyError(
                f"Inception-V3 FID needs the weights file {WEIGHTS_FILE}, which could not be "
                f"downloaded ({_reason(err)}); {where} (torch.hub.get_dir()/checkpoints; "
                "$TORCH_HOME moves it)"
            ) from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
            raise ValueError(f"not a state dict of tensors ({type(state).__name__})")
    except Exception as err:  # corrupt, truncated, or a pickle that is more than tensors
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DependencyError(
            f"cannot use the Inception-V3 weights {path} ({first[:200]}); delete it and {where}"
        ) from None
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return path, digest.hexdigest()


def real_cache_path(dataset: str, test_fingerprint: str, weights_sha256: str) -> Path:
    """Where the test split's Inception statistics are cached."""
    name = f"{dataset}-{test_fingerprint}-{weights_sha256[:16]}.safetensors"
    return ganforge_home() / "inception" / name


@dataclass
class InceptionFID:
    """torchmetrics' FID metric, ready to score uint8 N×28×28 images against a real set.

    ``metric``: a ``FrechetInceptionDistance`` (the default Inception-V3 from
    :func:`load_inception`; tests pass one with a small custom feature network).
    ``weights``: what goes into the metrics file about the network (file name, SHA-256).
    """

    metric: Any
    weights: dict[str, str]
    resize: str = "resized by the metric to 299"
    chunk: int = CHUNK

    def protocol(self, n_real: int, n_fake: int) -> str:
        """The recorded protocol: what was fed, how, and how many on each side."""
        return (
            f"inception-v3-fid: torchmetrics FrechetInceptionDistance(feature={FEATURE}), "
            f"weights {self.weights.get('file')}, grey tiled to 3 channels, uint8, "
            f"{self.resize}, real = test split {n_real:,}, fake = {n_fake:,} samples"
        )

    def _feed(self, images: Tensor, real: bool, display: TaskProgress) -> None:
        device = self.metric.device
        for start in range(0, images.shape[0], self.chunk):
            chunk = images[start : start + self.chunk].to(device)
            self.metric.update(chunk.unsqueeze(1).expand(-1, 3, -1, -1).contiguous(), real=real)
            display.step("real" if real else "samples")

    def score(
        self,
        real: Tensor,
        fake: Tensor,
        real_cache: Path | None = None,
        display: bool | None = None,
    ) -> float:
        """FID between uint8 N×28×28 ``real`` and ``fake`` images; the real side's statistics
        are read from (or, once computed, written to) ``real_cache`` when given.

        Raises :class:`DataError` for images of the wrong type or a non-finite result.
        """
        for name, images in (("real", real), ("fake", fake)):
            if images.dtype != torch.uint8 or images.dim() != 3 or images.shape[0] < 2:
                raise DataError(
                    f"Inception FID needs at least 2 uint8 N×28×28 {name} images, got "
                    f"{str(images.dtype).removeprefix('torch.')} "
                    f"{'×'.join(map(str, images.shape))}"
                )
        self.metric.reset()
        cached = self._load_real(real_cache, real.shape[0])
        n_chunks = math.ceil(fake.shape[0] / self.chunk)
        if not cached:
            n_chunks += math.ceil(real.shape[0] / self.chunk)
        shown = TaskProgress.for_display(display, n_chunks, "Inception-V3 FID")
        with torch.no_grad(), shown:
            todo = f"{fake.shape[0]:,} samples" + (
                "" if cached else f" and the {real.shape[0]:,} real images"
            )
            shown.line(f"Inception-V3 FID: embedding {todo} (slow on a CPU)")
            if not cached:
                self._feed(real, True, shown)
                self._save_real(real_cache)
            self._feed(fake, False, shown)
            value = float(self.metric.compute())
        if not math.isfinite(value):
            raise DataError(f"Inception-V3 FID came out {value}; not recorded")
        return value

    def _load_real(self, path: Path | None, n_real: int) -> bool:
        """Restore the real side's statistics from ``path``; False when absent or unusable
        (a cache: an unreadable file is simply recomputed and replaced)."""
        if path is None or not path.is_file():
            return False
        try:
            tensors, meta = read_safetensors(path, "Inception statistics")
        except CheckpointError:
            return False
        device = self.metric.device
        ok = (
            meta is not None
            and meta.get("format") == CACHE_FORMAT
            and meta.get("weights") == self.weights
            and set(tensors) == set(_STATES)
            and int(tensors["real_features_num_samples"]) == n_real
        )
        if not ok:
            return False
        for key in _STATES:
            current = getattr(self.metric, key)
            if tensors[key].shape != current.shape:
                return False
            setattr(self.metric, key, tensors[key].to(device=device, dtype=current.dtype))
        return True

    def _save_real(self, path: Path | None) -> None:
        if path is None:
            return
        tensors = {k: getattr(self.metric, k).detach().cpu().contiguous() for k in _STATES}
        meta = {"format": CACHE_FORMAT, "weights": self.weights, "feature": FEATURE}
        # Only a cache: if it cannot be written, the next run computes the real side again.
        with suppress(CheckpointError):
            write_safetensors(path, tensors, meta, "Inception statistics")


def load_inception(device: str | torch.device = "cpu", progress: bool = False) -> InceptionFID:
    """The preflight and the metric: torch-fidelity present, the weights present (downloaded
    if need be) and sound, then torchmetrics' default FID network built on ``device``.

    Every missing piece is one :class:`DependencyError` line, raised before any image is
    processed, so a caller can check this before doing (or writing) anything else.
    """
    require_torch_fidelity()
    path, sha256 = ensure_weights(progress)
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
    except ImportError as err:  # pragma: no cover - torchmetrics is a core dependency
        raise DependencyError(f"{INSTALL_HINT} ({err})") from None
    kwargs: dict[str, Any] = {}
    if "antialias" in inspect.signature(FrechetInceptionDistance.__init__).parameters:
        # False selects torch-fidelity's TF1-compatible bilinear resize, the published one;
        # torchmetrics without the argument always uses it.
        kwargs["antialias"] = False
    try:
        metric = FrechetInceptionDistance(feature=FEATURE, **kwargs)
    except ModuleNotFoundError:  # torchmetrics' own check for torch-fidelity
        raise DependencyError(INSTALL_HINT) from None
    except OSError as err:  # the cached file was not found after all
        raise DependencyError(
            f"Inception-V3 FID could not load {WEIGHTS_FILE} from {path.parent} ({_reason(err)})"
        ) from None
    except RuntimeError as err:  # a state dict, but not this network's (missing/extra keys)
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DependencyError(
            f"cannot use the Inception-V3 weights {path} (not torch-fidelity's network: "
            f"{first[:160]}); delete it and put {WEIGHTS_FILE} (from {WEIGHTS_URL}) there"
        ) from None
    weights = {"file": WEIGHTS_FILE, "sha256": sha256}
    return InceptionFID(metric.to(device), weights, resize=TF1_RESIZE)
