"""From names and YAML to live objects: the one config builder (recipe defaults ← YAML ←
overrides, a saved run's config with the fields added since), the recipe and the device."""

from ganforge.setup.build import (
    as_trained,
    build_recipe,
    check_grid_layout,
    config_from_dict,
    fields_added_since,
    make_config,
    resolve_device,
    resume_config,
    validate_config,
    with_flags,
)

__all__ = [
    "as_trained",
    "build_recipe",
    "check_grid_layout",
    "config_from_dict",
    "fields_added_since",
    "make_config",
    "resolve_device",
    "resume_config",
    "validate_config",
    "with_flags",
]
