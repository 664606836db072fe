"""ImageTransform ranges and inverses; BatchStream epochs: full, disjoint, reproducible."""

import pytest
import torch

from ganforge.data.batches import BatchStream, ImageTransform

N = 50  # images in the synthetic data set


def numbered_images(n: int = N) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 n×28×28 images whose pixel (0, 0) holds the index; labels are the index too."""
    images = torch.zeros(n, 28, 28, dtype=torch.uint8)
    images[:, 0, 0] = torch.arange(n, dtype=torch.uint8)
    return images, torch.arange(n)


def random_images(n: int = 6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    images[0] = 0
    images[1] = 255  # both extremes present
    return images


def smooth_images(n: int = 4) -> torch.Tensor:
    """Blurry blobs, like digits: what a 28→64→28 resize round trip can keep."""
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    blobs = [
        255 * torch.exp(-((xx - 8 - 3 * k) ** 2 + (yy - 14 + k) ** 2) / (2 * (3 + k) ** 2))
        for k in range(n)
    ]
    return torch.stack(blobs).round().to(torch.uint8)


def stream(batch_size: int = 8, seed: int = 0, n: int = N) -> BatchStream:
    images, labels = numbered_images(n)
    return BatchStream(images, labels, batch_size, seed, ImageTransform("0,1"))


def ids(batch_images: torch.Tensor) -> list[int]:
    """Recover the image indices from a 0,1-range batch."""
    return (batch_images[:, 0, 0, 0] * 255).round().long().tolist()


# -- ImageTransform -------------------------------------------------------------------------------


@pytest.mark.parametrize(("data_range", "black", "white"), [("-1,1", -1.0, 1.0), ("0,1", 0.0, 1.0)])
def test_transform_range(data_range: str, black: float, white: float) -> None:
    t = ImageTransform(data_range)
    x = t(torch.tensor([[[0, 255, 128]]], dtype=torch.uint8))
    assert x.dtype == torch.float32
    assert x[0, 0, 0, 0].item() == black
    assert x[0, 0, 0, 1].item() == pytest.approx(white, abs=1e-6)
    assert x[0, 0, 0, 2].item() == pytest.approx(black + (white - black) * 128 / 255, abs=1e-6)
    assert t.bounds == (black, white)


@pytest.mark.parametrize("resolution", [28, 32, 64])
@pytest.mark.parametrize("data_range", ["-1,1", "0,1"])
def test_transform_shape_and_bounds(resolution: int, data_range: str) -> None:
    t = ImageTransform(data_range, resolution)
    x = t(random_images())
    assert x.shape == (6, 1, resolution, resolution)
    lo, hi = t.bounds
    assert x.min().item() >= lo - 1e-6
    assert x.max().item() <= hi + 1e-6


@pytest.mark.parametrize("data_range", ["-1,1", "0,1"])
def test_transform_32_pads_with_black(data_range: str) -> None:
    t = ImageTransform(data_range, 32)
    x = t(torch.full((2, 28, 28), 255, dtype=torch.uint8))
    black = t.bounds[0]
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert torch.all(x[:, 0][:, border] == black)
    assert torch.allclose(x[:, 0, 2:30, 2:30], torch.ones(2, 28, 28))


@pytest.mark.parametrize("resolution", [28, 32])
@pytest.mark.parametrize("data_range", ["-1,1", "0,1"])
def test_to_uint8_inverts_exactly(resolution: int, data_range: str) -> None:
    t = ImageTransform(data_range, resolution)
    images = random_images(seed=resolution)
    back = t.to_uint8(t(images))
    assert back.dtype == torch.uint8
    assert back.shape == (6, 28, 28)
    assert torch.equal(back, images)


@pytest.mark.parametrize("data_range", ["-1,1", "0,1"])
def test_to_uint8_inverts_64_approximately(data_range: str) -> None:
    t = ImageTransform(data_range, 64)
    images = smooth_images()
    back = t.to_uint8(t(images))
    assert back.shape == (4, 28, 28)
    assert back.dtype == torch.uint8
    assert (back.int() - images.int()).abs().float().mean().item() < 3


def test_to_uint8_clamps_out_of_range() -> None:
    t = ImageTransform("-1,1")
    back = t.to_uint8(torch.tensor([-3.0, -1.0, 0.5, 1.0, 5.0]).view(1, 1, 1, 5))
    assert back.tolist() == [[[0, 0, 191, 255, 255]]]  # 0.5 → 1.5 · 255 / 2 = 191.25


@pytest.mark.parametrize(
    ("args", "match"), [(("0,255", 28), "data_range"), (("-1,1", 30), "resolution")]
)
def test_transform_rejects_bad_arguments(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ImageTransform(*args)


# -- BatchStream --------------------------------------------------------------------------------


def test_full_batches_only() -> None:
    s = stream(batch_size=8)  # 50 images → 6 batches, 2 images dropped
    assert s.batches_per_epoch == 6
    batches = list(s.epoch(0))
    assert len(batches) == 6
    for images, labels in batches:
        assert images.shape == (8, 1, 28, 28)
        assert labels.shape == (8,)


def test_epoch_is_a_disjoint_cover_and_labels_match_images() -> None:
    s = stream(batch_size=8)
    seen: list[int] = []
    for images, labels in s.epoch(3):
        assert ids(images) == labels.tolist()  # each label stays with its image
        seen += labels.tolist()
    assert len(seen) == s.batches_per_epoch * 8 == 48
    assert len(set(seen)) == 48  # disjoint
    assert set(seen) <= set(range(N))


def test_batch_images_are_transformed() -> None:
    images, labels = numbered_images()
    s = BatchStream(images, labels, 5, 0, ImageTransform("-1,1", 32))
    x, _ = next(iter(s.epoch(0)))
    assert x.shape == (5, 1, 32, 32)
    assert x.min().item() == -1.0


def order(s: BatchStream, epoch: int, start: int = 0) -> list[int]:
    return [i for _, labels in s.epoch(epoch, start) for i in labels.tolist()]


def test_epoch_order_reproducible_across_streams() -> None:
    a, b = stream(seed=7), stream(seed=7)
    for e in (0, 1, 5):
        assert order(a, e) == order(b, e)
    assert order(a, 2) == order(a, 2)  # and for the same stream twice


def test_epoch_order_differs_between_epochs_and_seeds() -> None:
    s = stream(seed=7)
    assert order(s, 0) != order(s, 1)
    assert order(s, 1) != order(s, 2)
    assert order(s, 0) != order(stream(seed=8), 0)
    assert order(s, 0) != list(range(48))  # shuffled at all


@pytest.mark.parametrize("start", [0, 1, 3, 5, 6])
def test_start_batch_yields_the_tail(start: int) -> None:
    s = stream(batch_size=8, seed=2)
    full = list(s.epoch(4))
    tail = list(s.epoch(4, start_batch=start))
    assert len(tail) == 6 - start
    for (xa, ya), (xb, yb) in zip(full[start:], tail, strict=True):
        assert torch.equal(xa, xb)
        assert torch.equal(ya, yb)


def test_batch_size_equal_to_data_is_one_batch() -> None:
    s = stream(batch_size=N)
    (batch,) = list(s.epoch(0))
    assert sorted(batch[1].tolist()) == list(range(N))


def test_batch_size_larger_than_data() -> None:
    images, labels = numbered_images(10)
    with pytest.raises(ValueError, match="batch size 11 is larger than the dataset"):
        BatchStream(images, labels, 11, 0, ImageTransform())


# -- random batches with replacement, and class-homogeneous batches ---------------------------


def sampled(sampling: str, seed: int = 0, batches: int = 50, n: int = N) -> BatchStream:
    images, labels = numbered_images(n)
    return BatchStream(images, labels % 3, 8, seed, ImageTransform(), sampling, batches)


@pytest.mark.parametrize("sampling", ["replacement", "class"])
def test_sampled_epochs_have_the_asked_length_and_are_reproducible(sampling: str) -> None:
    s = sampled(sampling)
    assert s.batches_per_epoch == 50
    a = s.epoch_indices(3)
    assert a.shape == (50, 8)
    assert torch.equal(a, sampled(sampling).epoch_indices(3))  # a function of (seed, epoch)
    assert not torch.equal(a, s.epoch_indices(4))
    assert not torch.equal(a, sampled(sampling, seed=1).epoch_indices(3))
    # resuming at batch 7 yields exactly the rest of the epoch
    tail = [labels for _, labels in s.epoch(3, start_batch=7)]
    assert len(tail) == 43
    assert torch.equal(tail[0], s.labels[a[7]])


def test_replacement_draws_repeat_images() -> None:
    idx = sampled("replacement", n=40).epoch_indices(0)  # 400 draws from 40 images
    assert idx.unique().numel() < idx.numel()
    assert idx.min() >= 0 and idx.max() < 40


def test_class_batches_are_one_class_each_and_cover_the_classes() -> None:
    s = sampled("class")
    classes = []
    for _, labels in s.epoch(0):
        assert labels.unique().numel() == 1
        classes.append(int(labels[0]))
    assert set(classes) == {0, 1, 2}


def test_epoch_batches_default_to_one_pass() -> None:
    assert sampled("replacement", batches=0).batches_per_epoch == N // 8


# -- data-parallel slices -------------------------------------------------------------------------


@pytest.mark.parametrize("sampling", ["shuffle", "replacement", "class"])
def test_ranks_split_every_global_batch_into_disjoint_slices(sampling: str) -> None:
    """Data-parallel: rank r gets slice r of each global batch, so the ranks' slices side by
    side are one process's batch, image for image and in order."""
    images, labels = numbered_images()

    def make(rank: int, world: int) -> BatchStream:
        return BatchStream(
            images, labels % 3, 8, 5, ImageTransform("0,1"), sampling, 6, rank, world
        )

    one = [ids(x) for x, _ in make(0, 1).epoch(1)]
    for world in (2, 4):
        ranks = [[ids(x) for x, _ in make(r, world).epoch(1)] for r in range(world)]
        assert all(len(batch) == 8 // world for batches in ranks for batch in batches)
        joined = [[j for r in range(world) for j in ranks[r][i]] for i in range(len(one))]
        assert joined == one
        assert make(1, world).batches_per_epoch == make(0, 1).batches_per_epoch


def test_a_global_batch_must_split_evenly() -> None:
    images, labels = numbered_images()
    with pytest.raises(ValueError, match="does not split"):
        BatchStream(images, labels, 10, 0, ImageTransform(), rank=0, world_size=4)
