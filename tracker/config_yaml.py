"""Reading the policy file's bytes into plain data, strictly: every fault is a message.

:func:`read_policy` turns whatever a file holds into the mapping :func:`tracker.config.parse_config`
checks, or raises :class:`~tracker.errors.ConfigError` naming the file, where and what is
wrong: bytes that are not UTF-8, YAML that does not parse, a key given twice in one
mapping (YAML would quietly keep the last), nesting deeper than any policy needs, aliases
that expand past a sane size. No input makes it raise anything else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from tracker.errors import ConfigError

MAX_DEPTH = 40  # a policy nests about six levels; far deeper is a mistake or an attack
MAX_NODES = 200_000  # after aliases are expanded


class _Fault(Exception):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where = where
        self.what = what


def _line(node: Node) -> str:
    return f"line {node.start_mark.line + 1}"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and deep or explosive documents."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # The composer recurses once per level: count the levels before Python's own limit.
        depth = self._depth + 1
        if depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _Fault(f"line {mark.line + 1}", f"nested more than {MAX_DEPTH} levels deep")
        self._depth = depth
        try:
            node: Node | None = super().compose_node(parent, index)
            return node
        finally:
            self._depth = depth - 1

    def construct_document(self, node: Node) -> Any:
        if _expanded_size(node, {}) > MAX_NODES:
            raise _Fault(_line(node), f"more than {MAX_NODES} values once aliases are expanded")
        return super().construct_document(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise _Fault(_line(key_node), "a key must be a plain value") from None
            if duplicate:
                raise _Fault(_line(key_node), f"key {key!r} given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many nodes ``node`` stands for with every alias expanded (shared nodes counted
    once per use, each computed once; the depth is already bounded)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_NODES + 1  # a node that contains itself is too big
    total = 1
    if isinstance(node, SequenceNode):
        total += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, MappingNode):
        total += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    total = min(total, MAX_NODES + 1)
    sizes[id(node)] = total
    return total


def read_policy(path: Path) -> Any:
    """The data in the policy file at ``path``; :class:`ConfigError` for any fault."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(file, [("", "file not found (tracker init --preset NAME writes one)")]) from None
    except OSError as exc:
        raise ConfigError(file, [("", f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(file, [(f"line {line}", f"not UTF-8 text (byte {exc.start + 1})")]) from None
    return parse_policy_text(text, file)


def parse_policy_text(text: str, file: str = "tracker.yml") -> Any:
    """The data in a policy text; :class:`ConfigError` naming ``file`` for any fault."""
    try:
        loader = _StrictLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _Fault as fault:
        raise ConfigError(file, [(fault.where, fault.what)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        what = getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc
        raise ConfigError(file, [(where, f"not valid YAML: {what}")]) from None
    except RecursionError:
        raise ConfigError(file, [("", "nested too deeply")]) from None
