"""Bring a reply the simulator built into the shape of a reply captured from a real miner.

The handlers build a superset of every field any firmware sends (live figures from
``physics``, under every name a firmware family uses). :func:`conform` then keeps the
captured reply's keys, with its value types, and nothing else:

- keys keep the simulator's order (captures re-dumped with sorted keys say nothing
  about the miner's order);
- a key of the capture the simulator also built: the built value, converted to the
  captured type (``"3600"`` where the capture has a string, ``625.0`` where a float);
- a key of the capture the simulator did not build: left out, unless it is one of
  ``fillable`` (counters and labels the simulator does not model), which keep the
  captured value (recorded in ``fills``); so a live figure is never frozen at a
  captured value, and a field a handler leaves out on purpose stays out;
- a key the simulator built that the capture lacks: dropped, unless it matches one of
  the ``passthrough`` patterns (fields real firmware sends only sometimes, such as
  ``Error Code 3`` or ``error-code`` while errors exist);
- indexed keys (``pcbsn0``, ``chipdata1``): the capture's first one stands for all, so a
  miner with four boards sends ``pcbsn0`` .. ``pcbsn3``; so do keys that are numbers
  (error codes: ``{"207": "2026-09-18 19:54:34"}``);
- lists: every built item takes the shape of the capture's first item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

_INDEXED = re.compile(r"^(.*?[A-Za-z_-])(\d+)$")


def _stem(key: str) -> str | None:
    if key.isdigit():
        return ""  # error codes as keys ({"207": "2026-09-18 19:54:34"})
    match = _INDEXED.match(key)
    return match.group(1) if match else None


def convert(value: Any, like: Any) -> Any:  # noqa: ANN401, PLR0911
    """Return ``value`` with the JSON type of ``like`` where a faithful conversion exists."""
    if isinstance(like, bool):
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value) if isinstance(value, int | float) else value
    if isinstance(like, int):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            return round(value)
        if isinstance(value, str):
            try:
                return round(float(value))
            except ValueError:
                return value
        return value
    if isinstance(like, float):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value
    if isinstance(like, str):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, int | float):
            return str(value)
        return value
    return value


def conform(
    built: Any,  # noqa: ANN401
    template: Any,  # noqa: ANN401
    *,
    passthrough: Iterable[str] = (),
    fillable: Iterable[str] = (),
    fills: list[str] | None = None,
    path: str = "",
) -> Any:  # noqa: ANN401
    """Return ``built`` in the shape of ``template`` (see the module docstring)."""
    rules = _Rules([re.compile(p) for p in passthrough], frozenset(fillable), fills)
    return _conform(built, template, rules, path)


class _Rules:
    __slots__ = ("fillable", "fills", "patterns")

    def __init__(
        self,
        patterns: list[re.Pattern[str]],
        fillable: frozenset[str],
        fills: list[str] | None,
    ) -> None:
        self.patterns = patterns
        self.fillable = fillable
        self.fills = fills


def _conform(
    built: Any,  # noqa: ANN401
    template: Any,  # noqa: ANN401
    rules: _Rules,
    path: str,
) -> Any:  # noqa: ANN401
    if isinstance(template, dict):
        if not isinstance(built, dict):
            return built
        return _conform_object(built, template, rules, path)
    if isinstance(template, list):
        if not isinstance(built, list) or not template:
            return built
        return [_conform(item, template[0], rules, f"{path}[]") for item in built]
    return convert(built, template)


def _conform_object(
    built: dict[str, Any],
    template: dict[str, Any],
    rules: _Rules,
    path: str,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    done_stems: set[str] = set()
    for key, like in template.items():
        stem = _stem(key)
        if stem is not None and _is_series(template, stem):
            if stem in done_stems:
                continue
            done_stems.add(stem)
            built_keys = [k for k in built if _stem(k) == stem]
            if built_keys:
                for built_key in built_keys:
                    result[built_key] = _conform(
                        built[built_key], like, rules, f"{path}.{built_key}"
                    )
                continue
        if key in built:
            result[key] = _conform(built[key], like, rules, f"{path}.{key}")
        elif key in rules.fillable:
            result[key] = copy.deepcopy(like)
            filled = f"{path}.{key}".lstrip(".")
            if rules.fills is not None and filled not in rules.fills:
                rules.fills.append(filled)
    for key, value in built.items():
        if key not in result and any(p.fullmatch(key) for p in rules.patterns):
            result[key] = value
    # The simulator's own key order: many captures were re-dumped with sorted keys, so
    # their order says nothing about the miner's. Captured-only keys come last.
    ordered = {key: result[key] for key in built if key in result}
    ordered.update((key, value) for key, value in result.items() if key not in ordered)
    return ordered


def _is_series(template: dict[str, Any], stem: str) -> bool:
    """Tell whether the capture numbers this key (``pcbsn0``, ``pcbsn1``, ...)."""
    return stem == "" or f"{stem}0" in template
