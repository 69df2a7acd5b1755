"""Validation of the study's config against its JSON schema, with errors that name the key."""

from __future__ import annotations

import yaml
from jsonschema import Draft202012Validator

from cldm import CldmError


def config_errors(config: dict, schema_path: str) -> list[str]:
    """Every violation as 'key.path: message', sorted by path."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    messages = []
    for err in Draft202012Validator(schema).iter_errors(config):
        path = ".".join(str(p) for p in err.absolute_path) or "config"
        if err.validator == "not":
            text = "this key is not allowed here (e.g. 'lam' of a Gaussian point)"
        elif err.validator == "oneOf":
            text = f"{err.instance!r} is not valid: {err.schema.get('description', 'see the schema')}"
        else:
            text = err.message
        messages.append(f"{path}: {text}")
    return sorted(set(messages)) or _consistency_errors(config)


def _consistency_errors(config: dict) -> list[str]:
    """What the schema cannot state: each point's training batch splits into whole noise-level blocks."""
    errors = []
    for name, point in config["points"].items():
        t = {**config["training"], **point.get("training", {})}
        if t["batch_size"] % t["levels"]:
            where = f"points.{name}.training" if "training" in point else "training"
            errors.append(f"{where}.batch_size: {t['batch_size']} is not a multiple of levels = {t['levels']}")
    return errors


def validate(config: dict, schema_path: str) -> None:
    """Raise CldmError listing every violation before any job starts."""
    errors = config_errors(config, schema_path)
    if errors:
        raise CldmError("invalid config:\n  " + "\n  ".join(errors))
