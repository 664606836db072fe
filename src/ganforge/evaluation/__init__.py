"""Evaluation: ganforge's own feature network (a per-dataset CNN classifier) and metrics."""

from ganforge.evaluation.classifier import (
    Evaluator,
    EvaluatorNet,
    evaluator_path,
    load_evaluator,
    train_evaluator,
    weights_hash,
)

__all__ = [
    "Evaluator",
    "EvaluatorNet",
    "evaluator_path",
    "load_evaluator",
    "train_evaluator",
    "weights_hash",
]
