"""Validation primitives for YAML files (bench files and their sections): every error names
the file and the dotted field path, and suggests the likely intended name for a typo."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml


class BenchError(ValueError):
    """A bench file is wrong; the message is ``<file>: <field.path>: <what is wrong>``."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file, self.field, self.problem = file, field, problem
        super().__init__(f"{file}: {field}: {problem}" if field else f"{file}: {problem}")


@dataclass(frozen=True)
class At:
    """Where in the file a value is: used only to build error messages."""

    file: str
    path: str

    def child(self, key: str | int) -> At:
        if isinstance(key, int):
            return At(self.file, f"{self.path}[{key}]")
        return At(self.file, f"{self.path}.{key}" if self.path else key)

    def fail(self, problem: str) -> NoReturn:
        raise BenchError(self.file, self.path, problem)


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            type(None): "nothing"}.get(type(value), type(value).__name__)


def suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_mapping(value: Any, at: At, required: tuple[str, ...] = (),
             optional: tuple[str, ...] = (), free: bool = False) -> dict[Any, Any]:
    if not isinstance(value, dict):
        at.fail(f"expected a mapping, got {kind(value)} {show(value)}")
    if not free:
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                at.child(str(key)).fail(f"unknown key{suggest(str(key), allowed)}; "
                                        f"allowed here: {', '.join(allowed)}")
        for key in required:
            if key not in value:
                at.child(key).fail("missing")
    return value


def check_list(value: Any, at: At) -> list[Any]:
    if not isinstance(value, list):
        at.fail(f"expected a list, got {kind(value)} {show(value)}")
    return value


def check_str(value: Any, at: At) -> str:
    if not isinstance(value, str) or not value:
        at.fail(f"expected a non-empty string, got {kind(value)} {show(value)}")
    return value


def optional_str(value: Any, at: At) -> str | None:
    return None if value is None else check_str(value, at)


def str_tuple(value: Any, at: At) -> tuple[str, ...]:
    return tuple(check_str(v, at.child(i)) for i, v in enumerate(check_list(value, at)))


def check_choice(value: Any, at: At, options: tuple[str, ...] | list[str]) -> str:
    if value not in options:
        at.fail(f"expected one of {', '.join(options)}, got {show(value)}"
                f"{suggest(str(value), options)}")
    return str(value)


def check_choices(value: Any, at: At, options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(check_choice(v, at.child(i), options) for i, v in enumerate(check_list(value, at)))


def check_int(value: Any, at: At, low: int | None, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        at.fail(f"expected an integer, got {kind(value)} {show(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        at.fail(f"expected {bounds}, got {value}")
    return value


def check_number(value: Any, at: At, low: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        at.fail(f"expected a number, got {kind(value)} {show(value)}")
    if value < low or (low_open and value == low):
        at.fail(f"expected {'>' if low_open else '>='} {low}, got {value}")
    return float(value)


_ENV_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, at: At, env: Mapping[str, str]) -> str:
    """Replace ``${VAR}`` from the environment (``$$`` is a literal ``$``), so secrets stay out
    of bench files that are committed."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if name not in env:
            at.fail(f"environment variable {name} is not set")
        return env[name]

    return _ENV_REF.sub(sub, text)


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys; PyYAML otherwise keeps the last one silently."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # merged (<<: *anchor) pairs first, then the node's own
    merged = len(node.value) - own
    result: dict[Any, Any] = {}
    own_keys: set[Any] = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        # A key written here may override a merged one, not itself. Merged pairs may repeat a
        # key: an anchor that itself overrides a merge, or ``<<: [*a, *b]`` (the first wins);
        # flatten_mapping orders them so the later pair is the one that wins.
        if index >= merged:
            if key in own_keys:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            own_keys.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
