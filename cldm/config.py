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
    return sorted(set(messages))


def validate(config: dict, schema_path: str) -> None:
    """Raise CldmError listing every violation before any job starts."""
    errors = config_errors(config, schema_path)
    if errors:
        raise CldmError("invalid config:\n  " + "\n  ".join(errors))
