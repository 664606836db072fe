"""``ganforge train --log-to``: an unknown tracker is refused in one line before any work."""


def test_an_unknown_tracker_is_refused_in_one_line(run_cli, tmp_path) -> None:
    out = tmp_path / "run"
    code, err = run_cli("train", "gan", "--log-to", "mlflow,nope", "--out", str(out))
    assert code != 0 and "unknown tracker 'nope'; known: tensorboard, mlflow, wandb" in err
    assert not out.exists()
