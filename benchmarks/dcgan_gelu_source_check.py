"""Does ``dcgan-gelu``'s Keras source show the same early black grids as the preset?

Two halves, run in two environments (see docs/recipes.md, "dcgan-gelu's black grids"):

``keras DATA_DIR OUT [--steps N] [--seed S] [--fakes predict|train]`` trains the source's
model as /work/shared/recipes.md (family A) describes it, in tf.keras 2.15 with TF Addons'
Yogi, which the source ran: D compiled, then frozen, then the combined model compiled; every
batch D trains on ``[fake; real]``, then G through D frozen with target 1. Fakes come from
``G.predict`` (inference mode), as such loops make them, or with ``--fakes train`` from G in
training mode. It prints D's loss, G's loss, D(x) and D(G(z)) every 10 steps and saves 8×8
grids of 64 fixed latents at steps 1, 20, 50, 100, 150, 300, 600 and the last: as the
source's figure is drawn (``G.predict``: batch norm on its moving statistics) and with batch
statistics. It needs its own environment (TensorFlow is no ganforge dependency)::

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*" \\
        "tensorflow-addons==0.23.0" pillow
    /tmp/tfenv/bin/python benchmarks/dcgan_gelu_source_check.py keras \\
        ../shared/data/mnist-subset /tmp/keras-gelu --steps 600

``ganforge RUN_DIR OUT_PREFIX`` draws a ganforge run's G on 64 fixed latents the same two
ways (``OUT_PREFIX-inference.png``, ``OUT_PREFIX-batchstats.png``), after e.g.
``ganforge train dcgan-gelu --steps 150 --plain --out RUN_DIR``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

GRID_STEPS = (1, 20, 50, 100, 150, 300, 600)


def save_grid(images: np.ndarray, path: str) -> None:
    """64 images in [0, 1] (N×28×28) as an 8×8 grid, each pixel drawn 3×3."""
    pixels = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
    rows = [np.concatenate(list(pixels[r * 8 : (r + 1) * 8]), axis=1) for r in range(8)]
    grid = Image.fromarray(np.concatenate(rows, axis=0))
    grid.resize((8 * 28 * 3,) * 2, Image.NEAREST).save(path)


def read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def keras_models():
    import tensorflow_addons as tfa
    from tensorflow import keras
    from tensorflow.keras import layers

    g = keras.Sequential([
        keras.Input((128,)),
        layers.Dense(7 * 7 * 128, activation="gelu"), layers.BatchNormalization(),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", activation="gelu"),
        layers.BatchNormalization(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="sigmoid"),
    ])  # fmt: skip
    d = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same", activation="gelu"),
        layers.BatchNormalization(), layers.Dropout(0.4),
        layers.Conv2D(128, 5, strides=2, padding="same", activation="gelu"),
        layers.BatchNormalization(), layers.Dropout(0.4),
        layers.Flatten(), layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    assert (g.count_params(), d.count_params()) == (1_040_897, 213_633)
    d.compile(loss="binary_crossentropy", optimizer=tfa.optimizers.Yogi(1e-3), metrics=[d_x, d_gz])
    d.trainable = False  # compiled trainable above; frozen in the combined model below
    z = keras.Input((128,))
    gan = keras.Model(z, d(g(z)))
    gan.compile(loss="binary_crossentropy", optimizer=tfa.optimizers.Yogi(1e-3))
    return g, d, gan


def d_x(y_true, y_pred):
    import tensorflow as tf

    real = tf.cast(y_true > 0.5, y_pred.dtype)
    return tf.reduce_sum(y_pred * real) / tf.reduce_sum(real)


def d_gz(y_true, y_pred):
    import tensorflow as tf

    fake = tf.cast(y_true < 0.5, y_pred.dtype)
    return tf.reduce_sum(y_pred * fake) / tf.reduce_sum(fake)


def run_keras(args: argparse.Namespace) -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(args.seed)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    images = read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz"))
    x = images.astype("float32")[..., None] / 255.0  # the source's data range: [0, 1]
    g, d, gan = keras_models()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    fixed = rng.normal(size=(64, 128)).astype("float32")
    order, batch, log = rng.permutation(len(x)), 32, []
    ones, zeros = np.ones((batch, 1), "float32"), np.zeros((batch, 1), "float32")
    for step in range(1, args.steps + 1):
        start = ((step - 1) * batch) % (len(x) - batch)
        real = x[order[start : start + batch]]
        noise = rng.normal(size=(batch, 128)).astype("float32")
        fake = g.predict(noise, verbose=0) if args.fakes == "predict" else g(noise, training=True)
        pair, targets = np.concatenate([fake, real]), np.concatenate([zeros, ones])
        stats = d.train_on_batch(pair, targets, return_dict=True)
        g_loss = gan.train_on_batch(rng.normal(size=(batch, 128)).astype("float32"), ones)
        log.append([step, stats["loss"], float(g_loss), stats["d_x"], stats["d_gz"]])
        if step % 10 == 0:
            mean = np.mean(np.array(log[-10:])[:, 1:], axis=0)
            print(f"{step} D {mean[0]:.3f} G {mean[1]:.3f}", end=" ")
            print(f"D(x) {mean[2]:.3f} D(G(z)) {mean[3]:.3f}", flush=True)
        if step in GRID_STEPS or step == args.steps:
            drawn = g.predict(fixed, verbose=0)[..., 0]
            saved = g.get_weights()  # a training-mode call moves the moving statistics
            batch_stats = g(fixed, training=True).numpy()[..., 0]
            g.set_weights(saved)
            save_grid(drawn, f"{args.out}/grid-inference-step{step:04d}.png")
            save_grid(batch_stats, f"{args.out}/grid-batchstats-step{step:04d}.png")
            print(f"  step {step}: mean pixel as drawn {drawn.mean():.4f},", end=" ")
            print(f"with batch statistics {batch_stats.mean():.4f}", flush=True)
    Path(args.out, "log.json").write_text(json.dumps(log))


def run_ganforge(args: argparse.Namespace) -> None:
    import torch

    from ganforge.generation.model import load_model

    model = load_model(Path(args.run_dir))
    g = model.recipe.generator
    z = model.recipe.sample_latent(64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        drawn = g.eval()(z)
        saved = {k: v.clone() for k, v in g.state_dict().items()}
        batch_stats = g.train()(z)
        g.load_state_dict(saved)
        g.eval()
    for name, images in (("inference", drawn), ("batchstats", batch_stats)):
        print(f"{name}: mean pixel {images.mean():.4f}")
        save_grid(images[:, 0].numpy(), f"{args.out_prefix}-{name}.png")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="side", required=True)
    keras = sub.add_parser("keras")
    keras.add_argument("data_dir")
    keras.add_argument("out")
    keras.add_argument("--steps", type=int, default=150)
    keras.add_argument("--seed", type=int, default=0)
    keras.add_argument("--fakes", choices=("predict", "train"), default="predict")
    ours = sub.add_parser("ganforge")
    ours.add_argument("run_dir")
    ours.add_argument("out_prefix")
    args = parser.parse_args(argv)
    (run_keras if args.side == "keras" else run_ganforge)(args)


if __name__ == "__main__":
    main(sys.argv[1:])
