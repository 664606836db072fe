"""The studio on runs trained on the user's own images: real MNIST digits as class folders,
ten named by words and 26 named ``Letter A`` .. ``Letter Z``. The class picker and the grids
show the folders' names, read from the checkpoint (the data itself is gone), and 26 classes
are drawn in turn on a square grid, not a column each."""

from __future__ import annotations

import io
import shutil

import pytest
import torch
from PIL import Image
from starlette.testclient import TestClient
from tests.digit_folders import WORDS

from ganforge.engine.trainer import train
from ganforge.setup.build import make_config
from ganforge.studio.app import create_app
from ganforge.studio.drawing import CLASS_COLUMNS

pytestmark = [pytest.mark.mnist, pytest.mark.usefixtures("one_thread")]
LETTERS = tuple(f"Letter {chr(ord('A') + k)}" for k in range(26))
CELL = 28 + 2  # a grid cell: the image and its 2-pixel separator
NETS = {"latent_dim": 8, "g_channels": 8, "d_channels": 8}
STEPS = {"steps": 2, "batch_size": 32, "log_every": 1, "sample_every": 0}


@pytest.fixture(scope="module")
def client(digits, tmp_path_factory) -> TestClient:
    """The studio over ``own/words`` and ``own/letters``, tiny acgan runs on the digits'
    class folders and on the same digits in 26 folders; their data removed after."""
    root = tmp_path_factory.mktemp("studio-own")
    words = shutil.copytree(digits["root"] / "classes", root / "words")
    letters = root / "letters"
    for i, path in enumerate(sorted((digits["root"] / "flat").iterdir())):
        (letters / LETTERS[i % 26]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, letters / LETTERS[i % 26] / path.name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GANFORGE_HOME", str(root / "home"))  # the decoded folders' cache
            for data in (words, letters):
                overrides = {"data": str(data), "model": NETS, "train": STEPS}
                cfg = make_config("acgan", overrides=overrides)
                train(cfg, root / "runs" / "own" / data.name, display=False)
    finally:
        torch.set_num_threads(threads)
    shutil.rmtree(words)
    shutil.rmtree(letters)
    return TestClient(create_app(root / "runs"), base_url="http://127.0.0.1")


def size(content: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(content)) as image:
        return image.size


@pytest.mark.parametrize(("run", "names"), [("words", sorted(WORDS)), ("letters", LETTERS)])
def test_a_runs_page_names_its_data_s_classes(client, run, names) -> None:
    listed = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert listed[f"own/{run}"]["conditional"] and listed[f"own/{run}"]["dataset"] == "custom"
    page = client.get(f"/api/runs/own/{run}").json()
    assert page["classes"] == list(names)


def test_ten_classes_are_a_column_each_under_their_names(client) -> None:
    answer = client.get("/api/runs/own/words/generate?n=20&format=json").json()
    assert answer["labels"] == [k % 10 for k in range(20)]
    got = client.get("/api/runs/own/words/generate?n=20")
    width, height = size(got.content)
    assert width == 10 * CELL + 2 and height > 2 * CELL + 2  # the names over the columns


def test_26_classes_are_drawn_in_turn_on_a_square_grid(client) -> None:
    assert client.get("/api/runs").json()["limits"]["class_columns"] == CLASS_COLUMNS < 26
    answer = client.get("/api/runs/own/letters/generate?n=64&format=json").json()
    assert answer["labels"] == [k % 26 for k in range(64)]
    got = client.get("/api/runs/own/letters/generate?n=64")
    assert size(got.content) == (8 * CELL + 2, 8 * CELL + 2)


def test_one_class_of_26_is_titled_with_its_name(client) -> None:
    answer = client.get("/api/runs/own/letters/generate?n=9&class=25&format=json").json()
    assert answer["labels"] == [25] * 9 and answer["class"] == 25
    width, height = size(client.get("/api/runs/own/letters/generate?n=9&class=25").content)
    assert width == 3 * CELL + 2 and height > 3 * CELL + 2  # "Letter Z" over it
    bad = client.get("/api/runs/own/letters/generate?class=26")
    assert bad.status_code == 400 and "0..25" in bad.json()["error"]


def test_interpolating_between_the_first_and_the_last_of_26_classes(client) -> None:
    query = "from=1&class=0&class_to=25&steps=4"
    answer = client.get(f"/api/runs/own/letters/interpolate?{query}")
    assert answer.status_code == 200, answer.text
    assert size(answer.content) == (4 * CELL + 2, CELL + 2)
