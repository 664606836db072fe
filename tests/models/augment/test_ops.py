"""The augmentation operations on hand-made images, with their parameters pinned: each moves,
cuts, brightens, contrasts or turns them exactly as said, and lets gradients through."""

import math

import pytest
import torch

from ganforge.models.augment import ops

FILL = -1.0  # black in the data range -1,1


def dot(row: int, col: int, side: int = 8) -> torch.Tensor:
    """A black 1×1×side×side image with one white pixel."""
    x = torch.full((1, 1, side, side), FILL)
    x[0, 0, row, col] = 1.0
    return x


def test_translation_moves_a_pixel_by_the_shift_and_fills_with_black():
    x = torch.cat([dot(2, 3), dot(2, 3)])
    out = ops.translate(x, torch.tensor([2, -3]), torch.tensor([1, 0]), FILL)
    assert torch.equal(out[0], dot(3, 5)[0])  # 2 right, 1 down
    assert torch.equal(out[1], dot(2, 0)[0])  # 3 left
    edge = ops.translate(dot(0, 0), torch.tensor([-1]), torch.tensor([0]), FILL)
    assert torch.equal(edge, torch.full_like(edge, FILL))  # moved out of the image


def test_cutout_blacks_out_exactly_its_square():
    x = torch.ones(2, 1, 8, 8)
    out = ops.cutout(x, torch.tensor([4, 0]), torch.tensor([3, 0]), torch.tensor([4, 4]), FILL)
    want = torch.ones(8, 8)
    want[1:5, 2:6] = FILL  # side 4 centred on (x 4, y 3): columns 2..5, rows 1..4
    assert torch.equal(out[0, 0], want)
    corner = torch.ones(8, 8)
    corner[0:2, 0:2] = FILL  # clipped at the top-left edge
    assert torch.equal(out[1, 0], corner)
    none = ops.cutout(x, torch.tensor([4, 4]), torch.tensor([4, 4]), torch.tensor([0, 0]), FILL)
    assert torch.equal(none, x)


def test_brightness_adds_and_contrast_scales_about_the_mean():
    half = torch.full((1, 1, 4, 4), -1.0)
    half[..., :, 2:] = 1.0  # half white: mean 0
    assert torch.equal(ops.brightness(half, torch.tensor([0.25])), half + 0.25)
    shifted = half + 0.5  # mean 0.5: the contrast keeps it
    out = ops.contrast(shifted, torch.tensor([0.5]))
    assert torch.allclose(out, (shifted - 0.5) * 0.5 + 0.5)
    assert out.mean().item() == pytest.approx(0.5)


def test_rotation_by_a_quarter_turn_and_zoom():
    x = dot(1, 4, side=6)  # above the centre (between pixels 2 and 3), right of it
    turned = ops.scale_rotate(x, torch.ones(1), torch.tensor([math.pi / 2]), FILL)
    # A quarter turn counter-clockwise as shown: (row 1, col 4) → (row 1, col 1).
    assert turned[0, 0].argmax().item() == 1 * 6 + 1
    assert turned.max().item() == pytest.approx(1.0, abs=1e-5)
    cross = torch.full((1, 1, 6, 6), FILL)
    cross[..., 2:4, :] = 1.0
    cross[..., :, 2:4] = 1.0  # symmetric under a quarter turn
    same = ops.scale_rotate(cross, torch.ones(1), torch.tensor([math.pi / 2]), FILL)
    assert torch.allclose(same, cross, atol=1e-5)
    identity = ops.scale_rotate(cross, torch.ones(1), torch.zeros(1), FILL)
    assert torch.allclose(identity, cross, atol=1e-5)
    # A white 8×8 image zoomed out by 2: its middle 4×4 white, a 2-pixel black border.
    small = ops.scale_rotate(torch.ones(1, 1, 8, 8), torch.full((1,), 0.5), torch.zeros(1), FILL)
    want = torch.full((8, 8), FILL)
    want[2:6, 2:6] = 1.0
    assert torch.allclose(small[0, 0], want, atol=1e-5)


@pytest.mark.parametrize("op", ["translate", "scale_rotate", "brightness", "contrast", "cutout"])
def test_gradients_reach_the_images(op):
    """gradcheck in float64: every operation is linear (or affine) in its input."""
    torch.manual_seed(0)
    x = torch.rand(2, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    n = torch.tensor
    calls = {
        "translate": lambda t: ops.translate(t, n([1, -2]), n([0, 1]), FILL),
        "scale_rotate": lambda t: ops.scale_rotate(
            t, n([1.2, 0.8], dtype=torch.float64), n([0.3, -0.5], dtype=torch.float64), FILL
        ),
        "brightness": lambda t: ops.brightness(t, n([0.1, -0.2], dtype=torch.float64)),
        "contrast": lambda t: ops.contrast(t, n([1.3, 0.6], dtype=torch.float64)),
        "cutout": lambda t: ops.cutout(t, n([2, 3]), n([2, 1]), n([2, 3]), FILL),
    }
    assert torch.autograd.gradcheck(calls[op], (x,))


def test_scale_and_rotation_resample_in_float32_whatever_the_precision():
    torch.manual_seed(0)
    x = (torch.rand(4, 1, 8, 8) * 2 - 1).bfloat16()
    zoom, angle = torch.tensor([1.1, 0.9, 1.2, 1.0]), torch.tensor([0.1, -0.2, 0.0, 0.3])
    out = ops.scale_rotate(x, zoom, angle, FILL)
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, ops.scale_rotate(x.float(), zoom, angle, FILL).bfloat16())
    with torch.autocast("cpu", dtype=torch.bfloat16):  # as D's forward runs under --precision
        assert torch.equal(ops.scale_rotate(x, zoom, angle, FILL), out)


def test_the_probe_answers_under_no_grad():
    ops.resampling_twice_differentiable.cache_clear()
    with torch.no_grad():  # as a model is loaded to sample
        answer = ops.resampling_twice_differentiable()
    ops.resampling_twice_differentiable.cache_clear()
    assert answer == ops.resampling_twice_differentiable()


@pytest.mark.skipif(
    not ops.resampling_twice_differentiable(),
    reason="this torch lacks grid_sample's second derivative (PyTorch PR 177487); training "
    "refuses scale and rotation under a penalty (tests/setup/test_build.py)",
)
def test_this_torch_differentiates_the_resampling_twice():
    # R1 and WGAN-GP's penalty differentiate D's gradient through scale and rotation.
    x = torch.rand(2, 1, 8, 8, requires_grad=True)
    w = torch.tensor(2.0, requires_grad=True)
    y = (w * ops.scale_rotate(x, torch.tensor([1.2, 0.8]), torch.tensor([0.3, -0.1]), FILL)).sum()
    (grad,) = torch.autograd.grad(y, x, create_graph=True)
    # |∂y/∂x|² is w² times a sum that w does not touch: its derivative in w is 2|∂y/∂x|²/w.
    (dw,) = torch.autograd.grad(grad.square().sum(), w)
    assert dw.item() == pytest.approx(2 * grad.square().sum().item() / 2.0, rel=1e-5)
