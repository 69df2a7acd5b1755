"""Typed settings of every stage: the single source of their defaults, bounds and descriptions.

Each stage (langevin, training, sampling: a module each) is a frozen dataclass whose fields are the
config keys of its section; `knob` gives a field its default, its description and the JSON schema
of its value. The config schema (`cldm.config.config_schema`, written to
workflow/schemas/config.schema.yaml) is generated from these classes, so a default or a bound lives
here once. A stage's module imports only what its own knobs need, so editing one stage's settings
changes the code hash of the rules of that stage alone.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import field
from typing import Any, ClassVar


def knob(default: Any, doc: str, **schema: Any) -> Any:
    """A dataclass field: its default, its description and JSON-schema bounds of its value
    (minimum, exclusiveMinimum, maximum, exclusiveMaximum, multipleOf, enum, items, ...)."""
    return field(default=default, metadata=dict(doc=doc, schema=schema))


def _type_schema(annotation: Any) -> dict:
    """JSON schema of a field's type: int, float, str, bool, X | None, tuple[X, ...]."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return {"oneOf": [{"type": "null"}, _type_schema(inner)]}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(annotation)[0])}
    return {int: {"type": "integer"}, float: {"type": "number"}, str: {"type": "string"},
            bool: {"type": "boolean"}}[annotation]


class Stage:
    """A config section as a frozen dataclass: schema, defaults, round trip to a plain dict."""

    description: ClassVar[str] = ""

    @classmethod
    def schema(cls) -> dict:
        """{type: object, properties: {...}} with every field's type, bounds and description; no
        key is required (every field has a default)."""
        props = {}
        for f in dataclasses.fields(cls):
            s = _type_schema(typing.get_type_hints(cls)[f.name])
            bounds = dict(f.metadata["schema"])
            if "oneOf" in s:  # bounds apply to the non-null alternative
                s["oneOf"][1].update(bounds)
            elif s["type"] == "array":
                s["items"].update(bounds.pop("items", {}))
                s.update(bounds)
            else:
                s.update(bounds)
            props[f.name] = {**s, "description": f"{f.metadata['doc']} (default: {_plain(f.default)!r})"}
        return {"type": "object", "additionalProperties": False, "description": cls.description, "properties": props}

    @classmethod
    def from_dict(cls, values: dict) -> Stage:
        """The section with `values` (a config section, lists as tuples) over the defaults."""
        hints = typing.get_type_hints(cls)
        return cls(**{k: tuple(v) if typing.get_origin(hints[k]) is tuple else v for k, v in values.items()})

    def as_dict(self) -> dict:
        """Every field, tuples as lists: what rules pass as params and results record as provenance."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def errors(self) -> list[tuple[str, str]]:
        """(key, message) for what the schema cannot state: rules between fields."""
        return []

    def __post_init__(self) -> None:
        if problems := self.errors():
            raise SettingsError(problems)


class SettingsError(ValueError):
    """Values that break a rule between fields; `problems` holds (key, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems))
        self.problems = problems


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
