"""What is wrong with a config, one line per problem: 'key.path: message', naming the key, the
value as the user wrote it and what is accepted (from the schema's own bounds).

`structure_problems` finds what the JSON schema cannot see, or would crash on: keys that are not
strings, values that are not JSON (a YAML date, a tuple), NaN and infinities, a structure that
contains itself (a YAML alias inside its own anchor). `schema_lines` rewrites a jsonschema error.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from typing import Any

MAX_DEPTH = 32
"""Deeper nesting is refused: no config goes beyond 4 levels, and jsonschema recurses per level."""

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,200}$")  # longer keys in brackets, shortened (`show`): a line stays readable
_KINDS = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string",
          list: "a list", dict: "a mapping"}
_TYPE_NAMES = {"null": "null", "boolean": "a boolean", "integer": "an integer", "number": "a number",
               "string": "a string", "array": "a list", "object": "a mapping"}


def key_path(parts: tuple | list, root: Any = None) -> str:
    """'points.q.langevin.step': plain keys joined by dots, list indices as .0 (`root`, the config,
    tells an index from a numeric key); any other key in brackets as YAML spells it: points['a b'],
    points[1], points[null], config[true], and a key of over 200 characters shortened:
    points['xxxxxxxx ...']."""
    out, node = "", root
    for p in parts:
        index = isinstance(node, list) if root is not None else isinstance(p, int) and not isinstance(p, bool)
        if (isinstance(p, str) and _PLAIN_KEY.match(p)) or index:
            out += f".{p}" if out else str(p)
        else:
            out = f"{out or 'config'}[{show(p)}]"
        try:
            node = node[p] if node is not None else None
        except (LookupError, TypeError):
            node = None
    return out or "config"


def show(value: Any, limit: int = 60) -> str:
    """A value as YAML spells it, shortened: null, true, .nan, -.inf, 'text', [1, 2], {a: 1}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        short = f"{value:g}"
        return short if "e" in short and float(short) == value and len(short) < len(repr(value)) else repr(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**40 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v, limit) for v in value[:8]) + (", ...]" if len(value) > 8 else "]")
    elif isinstance(value, dict):
        items = list(value.items())[:6]
        text = "{" + ", ".join(f"{show(k, limit) if not isinstance(k, str) else k}: {show(v, limit)}"
                               for k, v in items) + (", ...}" if len(value) > 6 else "}")
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + " ..." + text[-1]


def kind(value: Any) -> str:
    """'an integer', 'a string', ... for a JSON value; the Python type otherwise."""
    return _KINDS.get(type(value), f"a {type(value).__name__}")


def accepted(schema: dict | bool | None) -> str:
    """What a schema accepts, in words: 'an integer >= 1', 'a number > 0 and < 0.5', 'one of 'a', 'b''."""
    if not isinstance(schema, dict):
        return "nothing (this key is not allowed here)" if schema is False else "anything"
    if "oneOf" in schema:
        return " or ".join(accepted(s) for s in schema["oneOf"])
    if "enum" in schema:
        return "one of " + ", ".join(show(v) for v in schema["enum"])
    if "const" in schema:
        return show(schema["const"])
    kind_ = schema.get("type")
    words = _TYPE_NAMES.get(kind_, "a value") if isinstance(kind_, str) else " or ".join(
        _TYPE_NAMES.get(t, t) for t in kind_) if kind_ else "a value"
    bounds = []
    for key, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in schema:
            bounds.append(f"{op} {show(schema[key])}")
    if bounds:
        words += " " + " and ".join(bounds)
    if "multipleOf" in schema:
        words += f", a multiple of {show(schema['multipleOf'])}"
    if kind_ == "array":
        if "minItems" in schema:
            words = f"a list of at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}"
        if "items" in schema:
            words += f", each {accepted(schema['items'])}"
        if schema.get("uniqueItems"):
            words += ", none twice"
    if "maxLength" in schema:
        words += f" of at most {schema['maxLength']} characters"
    if "pattern" in schema:
        words += f" matching {schema['pattern']}"
    return words


def _number_hint(value: Any, schema: dict) -> str:
    """Why a value the user meant as a number is not one."""
    wants = schema.get("type") if isinstance(schema, dict) else None
    if wants not in ("number", "integer"):
        return ""
    if isinstance(value, str):
        try:
            number = float(value.strip().replace("_", ""))
        except ValueError:
            return ""
        if math.isfinite(number) and wants == "number":
            fixed = value.strip().lower().replace("e", ".0e", 1) if "." not in value and "e" in value.lower() else number
            return f" (YAML reads {value.strip()} without a dot as a string: write {fixed})"
        if math.isfinite(number) and number == int(number):
            return f" (quoted: write {int(number)} without quotes)"
        return ""
    if wants == "integer" and isinstance(value, float) and abs(value) < 2**63 and value == int(value):
        return f" (write {int(value)}, without the decimal point)"
    return ""


def structure_problems(value: Any, parts: tuple = ()) -> list[tuple[tuple, str, bool]]:
    """(path, message, fatal) for every key that is not a string, value that is not JSON, NaN or
    infinity, and for structures that contain themselves or nest too deep (fatal: the schema must
    not be walked then)."""
    return list(_walk(value, parts, set()))


def _walk(value: Any, parts: tuple, stack: set[int]) -> Iterator[tuple[tuple, str, bool]]:
    if isinstance(value, (dict, list)):
        if id(value) in stack:
            yield parts, "contains itself (a YAML alias inside its own anchor)", True
            return
        if len(parts) >= MAX_DEPTH:
            yield parts, f"nested deeper than {MAX_DEPTH} levels", True
            return
        stack = stack | {id(value)}
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            if isinstance(value, dict) and not isinstance(k, str):
                yield parts + (k,), (f"the key {show(k)} is {kind(k)}, not a string: quote it in the YAML file "
                                     "(unquoted yes/no/on/off/true/false read as booleans, null and ~ as null, "
                                     "digits as numbers)"), False
            yield from _walk(v, parts + (k,), stack)
    elif isinstance(value, float) and not math.isfinite(value):
        yield parts, f"{show(value)} is not a finite number", False
    elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        yield parts, f"{show(value)} is beyond the range of a 64-bit integer", False
    elif type(value) not in _KINDS:
        yield parts, (f"{show(value)} is {kind(value)}, not a JSON value (number, string, boolean, null, list "
                      "or mapping): quote it if it is text"), False


def schema_lines(err, root: Any) -> list[str]:
    """One line per problem that a jsonschema error of the config `root` reports: 'key.path: message'
    with the value and what is accepted."""
    parts = tuple(err.absolute_path)
    path = key_path(parts, root)
    value, schema, rule = err.instance, err.schema, err.validator
    if "propertyNames" in err.schema_path:
        name = value
        why = (f"a point's name names its directory and wildcards: a letter first, then letters, digits, _ or -, "
               f"at most {schema.get('maxLength')} characters"
               if parts == ("points",) else f"accepted: {accepted(schema)}")
        return [f"{key_path(parts + (name,), root)}: {show(name)} is not an accepted name; {why}"]
    if rule == "additionalProperties":
        known = list(schema.get("properties", {}))
        lines = []
        for key in value:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            where = "the config" if not parts else "a point" if len(parts) == 2 and parts[0] == "points" else path
            lines.append(f"{key_path(parts + (key,), root)}: unknown key; {hint}{where} takes: {', '.join(known)}")
        return lines
    if rule == "required":
        missing = [k for k in err.validator_value if k not in value]
        who = f"model {value['model']!r} needs" if isinstance(value, dict) and "model" in value and len(parts) == 2 \
            and parts[0] == "points" else f"{path} needs"
        return [f"{key_path(parts + (k,), root)}: missing; {who}: {', '.join(map(str, err.validator_value))}" for k in missing]
    if rule == "minProperties":
        return [f"{path}: {show(value)} is empty; accepted: a mapping of at least {err.validator_value} entry"]
    if rule == "oneOf":  # null or a number: say why a string is not the number
        hint = max((_number_hint(value, alt) for alt in schema["oneOf"]), key=len)
        if hint:
            return [f"{path}: {show(value)} is {kind(value)}, expected {accepted(schema)}{hint}"]
    if rule in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf", "enum", "oneOf", "minItems",
                "maxItems", "uniqueItems", "pattern", "const"):
        return [f"{path}: {show(value)} is not accepted; accepted: {accepted(schema)}"]
    if rule == "type" and value is None:
        return [f"{path}: is empty (null), expected {accepted(schema)}"]
    if rule == "type":
        return [f"{path}: {show(value)} is {kind(value)}, expected {accepted(schema)}{_number_hint(value, schema)}"]
    return [f"{path}: {show(value)}: {err.message}"]
