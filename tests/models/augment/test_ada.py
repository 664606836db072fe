"""ADA's controller under data-parallel training and its statistic for each kind of D: the
state a process saves is every process's, and a critic's arbitrary level does not move p."""

import pytest
import torch

from ganforge.models.augment import AdaController
from ganforge.setup.build import build_recipe, make_config


def _step(controllers: list[AdaController], scores: list[torch.Tensor], step: int) -> None:
    """One step of data-parallel processes: each observes its scores, then all adjust, their
    step sums added over the processes as the all-reduce does."""
    for ada, s in zip(controllers, scores, strict=True):
        ada.observe(s)
    total = sum(ada.pending for ada in controllers)
    for ada in controllers:
        ada.after_step(step, lambda t, total=total: total.clone())


def test_a_checkpoint_written_mid_interval_by_one_process_resumes_every_process_exactly():
    torch.manual_seed(0)
    # 4 steps of 2 processes with 3 images each; the interval is 4 steps.
    scores = [[torch.randn(3) + 1.5 for _ in range(2)] for _ in range(4)]
    whole = AdaController(target=0.6, speed=60, interval=4)  # one process, all 6 images
    pair = [AdaController(target=0.6, speed=60, interval=4) for _ in range(2)]
    for step in range(2):
        _step([whole], [torch.cat(scores[step])], step)
        _step(pair, scores[step], step)
    # Mid-interval: every process holds the same sums, those of the one process.
    assert pair[0].state_dict().keys() == {"p", "r_t", "acc"}  # the step's sums: not saved
    for ada in pair:
        assert torch.equal(ada.acc, whole.acc) and ada.acc[1].item() == 12.0
    saved = pair[0].state_dict()  # rank 0 writes the checkpoint
    resumed = [AdaController(target=0.6, speed=60, interval=4) for _ in range(2)]
    for ada in resumed:
        ada.observe(torch.ones(5))  # a step cut short by the stop: redone whole
        ada.load_state_dict(saved)
        assert ada.pending.tolist() == [0.0, 0.0]
    for step in (2, 3):
        _step([whole], [torch.cat(scores[step])], step)
        _step(resumed, scores[step], step)
    assert whole.r_t.item() > 0.6  # the interval closed: p up by its 24 images / 60
    assert whole.p.item() == pytest.approx(0.4)
    for ada in resumed:
        assert torch.equal(ada.p, whole.p) and torch.equal(ada.r_t, whole.r_t)


def test_a_critics_level_does_not_change_adas_statistic():
    model = {"g_channels": 8, "d_channels": 8, "augment": "ada"}
    torch.manual_seed(0)  # the same D whatever ran before
    recipe = build_recipe(make_config("wgan-gp", overrides={"model": model}), 10, "cpu")
    real = torch.rand(16, 1, 28, 28) * 2 - 1
    labels = torch.zeros(16, dtype=torch.long)

    def signs(shift: float) -> float:
        hook = recipe.discriminator.register_forward_hook(lambda m, i, out: out + shift)
        torch.manual_seed(0)
        recipe.discriminator_step_loss(real, labels)
        hook.remove()
        total = recipe.augmentation.ada.pending[0].item()
        recipe.augmentation.ada.pending.zero_()
        return total

    # The loss sees only differences; raw scores shifted by 3 would all be positive (16).
    assert signs(0.0) == signs(3.0) == signs(-3.0)
    assert abs(signs(0.0)) < 16


def test_a_joint_batch_gives_each_half_the_draws_of_two_forwards():
    def outputs(joint: bool) -> tuple[torch.Tensor, torch.Tensor]:
        torch.manual_seed(0)
        model = {"augment": "diffaugment", "joint_batch": joint}
        recipe = build_recipe(make_config("gan", overrides={"model": model}), 10, "cpu")
        recipe.discriminator.eval()  # no dropout: D's outputs depend on the images alone
        real, fake = torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1
        torch.manual_seed(1)
        return recipe.discriminate(real, fake)

    # The same images and the same draws: equal to float rounding of D's sums of 784 terms.
    for a, b in zip(outputs(True), outputs(False), strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)
