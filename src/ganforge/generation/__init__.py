"""Generation: using a trained model. Loading G (and its weight average) from a run or a
checkpoint (:mod:`.model`), drawing latents, labels, layouts and interpolations from it, and
the files ``ganforge sample`` and ``ganforge interpolate`` write (:mod:`.files`); ``ganforge
export``'s Hub model folder (:mod:`.export`, :mod:`.export_config`, :mod:`.model_card`) and
its ``huggingface_hub`` class (:mod:`.hub`, optional)."""

from ganforge.generation.model import (
    TrainedModel,
    class_interpolation,
    interpolation_latents,
    layout_samples,
    load_model,
    resolve_checkpoint,
    run_class_names,
    sample_labels,
    slerp,
)

__all__ = [
    "TrainedModel",
    "class_interpolation",
    "interpolation_latents",
    "layout_samples",
    "load_model",
    "resolve_checkpoint",
    "run_class_names",
    "sample_labels",
    "slerp",
]
