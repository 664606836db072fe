"""ganforge's tuned recipes: shapes, output ranges, parameter counts by hand, layer-level
checks. (The classic presets have theirs in tests/models/presets/.)"""

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.models import RECIPES, Recipe
from ganforge.models.layers import ClassBatchNorm2d, GaussianNoise
from ganforge.setup.build import build_recipe, make_config

ALL_RECIPES = sorted(n for n, c in RECIPES.items() if c.preset_of is None)
B = 3


pytestmark = pytest.mark.usefixtures("one_thread")


def recipe_for(name: str, **model) -> Recipe:
    torch.manual_seed(0)
    return build_recipe(make_config(name, overrides={"model": model}), 10)


def fakes(recipe: Recipe, scale: float = 1.0) -> torch.Tensor:
    z = recipe.sample_latent(B, generator=torch.Generator().manual_seed(0)) * scale
    labels = torch.tensor([0, 5, 9]) if recipe.conditional else None
    with torch.no_grad():
        return recipe.generate(z, labels)


def modules(recipe: Recipe) -> list[nn.Module]:
    return [*recipe.generator.modules(), *recipe.discriminator.modules()]


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_class_attributes(name: str) -> None:
    cls = RECIPES[name]
    assert cls.conditional is (name == "acgan")
    assert cls.family in {"gan", "dcgan", "wgan-gp", "acgan", "allconv"}
    assert cls.summary
    assert cls.config_cls().latent_dim == (64 if name in ("gan", "allconv") else 100)


@pytest.mark.parametrize("name", ALL_RECIPES)
@pytest.mark.parametrize(("data_range", "lo", "hi"), [("-1,1", -1.0, 1.0), ("0,1", 0.0, 1.0)])
def test_generator_shape_and_range(name: str, data_range: str, lo: float, hi: float) -> None:
    recipe = recipe_for(name, data_range=data_range)
    for mode in (True, False):
        recipe.train(mode)
        for scale in (1.0, 1000.0):  # large latents saturate the output activation
            x = fakes(recipe, scale)
            assert x.shape == (B, 1, 28, 28)
            assert x.dtype == torch.float32
            assert lo <= x.min().item() and x.max().item() <= hi
    x = fakes(recipe)
    mid = (lo + hi) / 2
    assert x.min().item() < mid < x.max().item()  # tanh centred on 0, sigmoid on 0.5


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_discriminator_output_shape(name: str) -> None:
    recipe = recipe_for(name)
    out = recipe.discriminator(torch.rand(B, 1, 28, 28) * 2 - 1)
    if name == "acgan":
        adv, cls = out
        assert adv.shape == (B, 1)
        assert cls.shape == (B, 10)
    else:
        assert isinstance(out, torch.Tensor)
        assert out.shape == (B, 1)


def test_acgan_num_classes_sets_heads() -> None:
    recipe = build_recipe(make_config("acgan"), num_classes=4)
    _, cls = recipe.discriminator(torch.zeros(2, 1, 28, 28))
    assert cls.shape == (2, 4)
    assert recipe.generate(torch.zeros(2, 100), torch.tensor([0, 3])).shape == (2, 1, 28, 28)


def test_acgan_label_changes_the_image() -> None:
    recipe = recipe_for("acgan")
    recipe.train(False)
    z = torch.randn(1, 100).expand(2, -1)
    with torch.no_grad():
        x = recipe.generate(z, torch.tensor([1, 7]))
    assert not torch.allclose(x[0], x[1])


def test_acgan_class_batch_norm_starts_as_plain_batch_norm() -> None:
    # built after dcgan_init, which would otherwise draw the projections anew
    norms = [m for m in recipe_for("acgan").generator.modules() if isinstance(m, ClassBatchNorm2d)]
    assert len(norms) == 2
    for norm in norms:
        for layer in (norm.gain, norm.shift):
            assert not layer.weight.any() and not layer.bias.any()
    off = recipe_for("acgan", class_batch_norm=False).generator
    assert not any(isinstance(m, ClassBatchNorm2d) for m in off.modules())


# -- parameter counts by hand ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "g", "d"),
    [
        # G: Linear(100→128·7·7, no bias) = 627,200; BN(128) = 256;
        #    ConvT(128→64, k4, no bias) = 128·64·16 = 131,072; BN(64) = 128;
        #    ConvT(64→1, k4) = 64·16 + 1 = 1,025                          → 759,681
        # D: Conv(1→64, k4) = 64·16 + 64 = 1,088; Conv(64→128, k4, no bias) = 131,072;
        #    BN(128) = 256; Linear(128·7·7 → 1) = 6,272 + 1 = 6,273       → 138,689
        ("dcgan", 759_681, 138_689),
        # dropout and noise add no parameters
        ("improved-dcgan", 759_681, 138_689),
        # G as dcgan; critic without batch norm: Conv(1→64) = 1,088;
        #    Conv(64→128, k4, with bias) = 131,072 + 128 = 131,200; Linear = 6,273 → 138,561
        ("wgan-gp", 759_681, 138_561),
        # G: Linear(64→256, no bias) = 16,384; BN1d(256) = 512; Linear(256→512) = 131,072;
        #    BN(512) = 1,024; Linear(512→1024) = 524,288; BN(1024) = 2,048;
        #    Linear(1024→784) = 802,816 + 784 = 803,600                   → 1,478,928
        # D: Linear(784→512) = 401,408 + 512 = 401,920; Linear(512→256) = 131,072 + 256
        #    = 131,328; Linear(256→1) = 257                               → 533,505
        ("gan", 1_478_928, 533_505),
        # G: Conv(1→64, k8, no bias) = 4,096; BN(64) = 128; ConvT(64→128, k5, no bias) = 204,800;
        #    BN(128) = 256; ConvT(128→128, k5, no bias) = 409,600; BN(128) = 256;
        #    ConvT(128→64, k4, no bias) = 131,072; BN(64) = 128;
        #    ConvT(64→1, k4) = 1,025                                      → 751,361
        # D: Conv(1→64, k5) = 1,600 + 64 = 1,664; Conv(64→128, k5) = 204,800 + 128 = 204,928;
        #    Conv(128→64, k5) = 204,800 + 64 = 204,864; 28→14→7→4: Linear(64·4·4 → 1)
        #    = 1,024 + 1 = 1,025, and one weight for the batch spread     → 412,482
        ("allconv", 751_361, 412_482),
        # G: Embedding(10, 100) = 1,000 (z ⊙ embed(y)); Linear(100→6,272, no bias) = 627,200;
        #    class batch norm (128): 2 × Linear(100→128) = 2 × 12,928 = 25,856;
        #    ConvT(128→64, k4, no bias) = 131,072; class batch norm (64): 2 × 6,464 = 12,928;
        #    ConvT(64→1, k4) = 1,025                                      → 799,081
        # D: dcgan trunk 1,088 + 131,072 + 256 = 132,416; adversarial Linear(6,272→1)
        #    = 6,273; classifier Linear(6,272→10) = 62,720 + 10 = 62,730  → 201,419
        ("acgan", 799_081, 201_419),
    ],
)
def test_parameter_counts_by_hand(name: str, g: int, d: int) -> None:
    assert recipe_for(name).parameter_counts() == (g, d)


def test_parameter_counts_follow_config() -> None:
    # dcgan with 8 channels and latent 10: Linear(10→16·49) = 7,840; BN(16) = 32;
    # ConvT(16→8, k4) = 2,048; BN(8) = 16; ConvT(8→1, k4) = 129 → 10,065
    assert recipe_for("dcgan", latent_dim=10, g_channels=8).parameter_counts()[0] == 10_065


def test_parameter_counts_skip_frozen() -> None:
    recipe = recipe_for("dcgan")
    for p in recipe.discriminator.parameters():
        p.requires_grad_(False)
    assert recipe.parameter_counts() == (759_681, 0)


# -- layer-level checks -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_no_batch_norm_with_wrong_eps(name: str) -> None:
    # BatchNorm2d(c, 0.8) is a widely copied bug: the 0.8 lands in eps, not momentum
    norms = [m for m in modules(recipe_for(name)) if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms  # every default recipe has batch norm somewhere (at least in G)
    assert [m.eps for m in norms] == [1e-5] * len(norms)
    assert [m.momentum for m in norms] == [0.1] * len(norms)


def test_wgan_gp_critic_has_no_batch_norm() -> None:
    recipe = recipe_for("wgan-gp")
    critic = list(recipe.discriminator.modules())
    assert not [m for m in critic if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm))]
    assert [m for m in recipe.generator.modules() if isinstance(m, nn.BatchNorm2d)]


def test_wgan_gp_critic_scores_samples_independently() -> None:
    recipe = recipe_for("wgan-gp")
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        together = recipe.discriminator(x)
        alone = torch.cat([recipe.discriminator(x[i : i + 1]) for i in range(4)])
    assert torch.allclose(together, alone, atol=1e-6)


def test_acgan_discriminator_has_no_softmax() -> None:
    kinds = {type(m) for m in recipe_for("acgan").discriminator.modules()}
    assert not kinds & {nn.Softmax, nn.LogSoftmax, nn.Softmax2d, nn.Sigmoid}


def test_dcgan_discriminator_outputs_raw_logits() -> None:
    # losses work on logits: no Sigmoid at the end of any BCE discriminator
    for name in ("gan", "dcgan", "improved-dcgan", "allconv"):
        d = recipe_for(name).discriminator
        assert not any(isinstance(m, nn.Sigmoid) for m in d.modules()), name


def test_improved_dcgan_tricks_are_in_the_networks() -> None:
    recipe = recipe_for("improved-dcgan")
    d_modules = list(recipe.discriminator.modules())
    assert [m.p for m in d_modules if isinstance(m, nn.Dropout)] == [0.1, 0.1]
    assert [m.sigma for m in d_modules if isinstance(m, GaussianNoise)] == [0.05]
    g_modules = list(recipe.generator.modules())
    assert not [m for m in g_modules if type(m) is nn.ReLU]
    assert [m for m in g_modules if isinstance(m, nn.LeakyReLU)]
    plain = recipe_for("dcgan")
    assert not [m for m in plain.discriminator.modules() if isinstance(m, nn.Dropout)]
    assert [m for m in plain.generator.modules() if type(m) is nn.ReLU]


def test_dcgan_without_batch_norm() -> None:
    recipe = recipe_for("dcgan", batch_norm=False)
    assert not [m for m in modules(recipe) if isinstance(m, nn.BatchNorm2d)]
    assert fakes(recipe).shape == (B, 1, 28, 28)


def test_allconv_generator_has_no_dense_layer() -> None:
    recipe = recipe_for("allconv")
    assert not [m for m in recipe.generator.modules() if isinstance(m, nn.Linear)]
    # the D of conv-d and allconv: convolutions and only the output is dense
    linears = [m for m in recipe.discriminator.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1 and linears[0].out_features == 1


def test_allconv_generator_takes_more_7x7_layers_and_refuses_fewer_than_three_widths() -> None:
    deeper = recipe_for("allconv", g_channels=[8, 16, 16, 8])
    convs = [m for m in deeper.generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.stride[0]) for m in convs] == [
        (8, 16, 1),
        (16, 16, 1),
        (16, 8, 2),
        (8, 1, 2),
    ]
    assert fakes(deeper).shape == (B, 1, 28, 28)
    with pytest.raises(ConfigError, match="3 or more widths"):
        make_config("allconv", overrides={"model": {"g_channels": [8, 8]}})


@pytest.mark.parametrize("kernel", [2, 4, 6, 8])
def test_allconv_first_kernel_maps_the_noise_image_to_7x7(kernel: int) -> None:
    recipe = recipe_for("allconv", g_channels=[8, 16, 8], g_first_kernel=kernel)
    first = recipe.generator[1]
    assert isinstance(first, nn.Conv2d) and first.kernel_size == (kernel, kernel)
    assert recipe.generator[:2](torch.randn(B, 64)).shape == (B, 8, 7, 7)
    # with padding (k − 2)/2 the centre pixel sees k×k of the noise image
    probe = torch.zeros(1, 64, requires_grad=True)
    recipe.generator[:2](probe)[0, 0, 3, 3].backward()
    assert int((probe.grad.view(8, 8) != 0).sum()) == kernel * kernel
    assert fakes(recipe).shape == (B, 1, 28, 28)


def test_gan_without_generator_batch_norm() -> None:
    recipe = recipe_for("gan", g_batch_norm=False, g_hidden=[32])
    assert not [m for m in recipe.generator.modules() if isinstance(m, nn.BatchNorm1d)]
    # Linear(64→32) = 2,080; Linear(32→784) = 25,872
    assert recipe.parameter_counts()[0] == 2_080 + 25_872
