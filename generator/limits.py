"""The loader's limits, and the YAML pre-scan that enforces them before anything is built.

A spec is checked event by event (libyaml's parser keeps its own stack, so nothing here
recurses) before it is composed: a document that is too large, too deep, or that expands
its aliases past the node budget is refused with the line where the limit was crossed.
Every later stage walks a tree bounded by these numbers. README.md ("Loader limits") names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Problem, pointer_join

MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest spec read (spec/tinker.yaml is about 55 KB)."""
MAX_DEPTH = 64
"""Nesting of mappings and sequences (spec/tinker.yaml nests 10 deep)."""
MAX_NODES = 100_000
"""Nodes after alias expansion (spec/tinker.yaml has about 4,400): stops alias bombs."""
MAX_REF_CHAIN = 16
"""`$ref`s followed in a row before a node that is not itself a `$ref`."""
MAX_SCALAR_CHARS = 1_000_000
"""The longest single string, number or key."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


@dataclass
class _Frame:
    anchor: str | None
    mapping: bool
    segment: str | None  # its key or index in the parent; None for the root and for keys
    size: int = 1
    children: int = 0
    key: str = ""


@dataclass
class _Scan:
    name: str
    anchors: dict[str, int] = field(default_factory=dict)
    open_anchors: set[str] = field(default_factory=set)
    stack: list[_Frame] = field(default_factory=list)
    total: int = 0

    def problem(self, event: Any, message: str, segment: str | None = None) -> Problem:
        parts = [f.segment for f in self.stack if f.segment is not None]
        pointer = pointer_join("", *parts, *([segment] if segment is not None else []))
        return Problem(self.name, event.start_mark.line + 1, pointer, message)

    def segment(self, event: Any) -> str | None:
        """Where a node that starts now sits in its parent (None for a mapping key)."""
        if not self.stack:
            return None
        parent = self.stack[-1]
        parent.children += 1
        if not parent.mapping:
            return str(parent.children - 1)
        if parent.children % 2:  # a key
            parent.key = event.value if isinstance(event, yaml.ScalarEvent) else "?"
            return None
        return parent.key

    def finish(self, event: Any, size: int, new: int) -> Problem | None:
        """A node of `size` expanded nodes ends, `new` of them not yet counted."""
        self.total += new
        if self.stack:
            self.stack[-1].size += size
        if self.total > MAX_NODES:
            return self.problem(event, f"the document expands to more than {MAX_NODES:,} nodes")
        return None

    def step(self, event: Any) -> Problem | None:
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            segment = self.segment(event)
            if event.anchor in self.open_anchors:
                message = f"alias *{event.anchor} refers to a node that contains it"
                return self.problem(event, message, segment)
            size = self.anchors.get(event.anchor, 1)
            return self.finish(event, size, size)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            mapping = isinstance(event, yaml.MappingStartEvent)
            self.stack.append(_Frame(anchor, mapping, self.segment(event)))
            if anchor is not None:
                self.open_anchors.add(anchor)
            if len(self.stack) > MAX_DEPTH:
                return self.problem(event, f"the document nests deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.stack.pop()
            if frame.anchor is not None:
                self.open_anchors.discard(frame.anchor)
                self.anchors[frame.anchor] = frame.size
            return self.finish(event, frame.size, 1)  # its children were counted as they ended
        if isinstance(event, yaml.ScalarEvent):
            segment = self.segment(event)
            if len(event.value) > MAX_SCALAR_CHARS:
                message = f"a value is longer than {MAX_SCALAR_CHARS:,} characters"
                return self.problem(event, message, segment)
            if anchor is not None:
                self.anchors[anchor] = 1
            return self.finish(event, 1, 1)
        return None


def check_size(size: int, name: str) -> Problem | None:
    if size > MAX_FILE_BYTES:
        return Problem(name, 1, "", f"the spec is larger than the limit of {MAX_FILE_BYTES:,} bytes")
    return None


def scan_yaml(text: str, name: str) -> Problem | None:
    """The first limit `text` crosses, located; None when it stays within all of them.

    YAML syntax errors are left to the real parse, which reports them.
    """
    scan = _Scan(name)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            problem = scan.step(event)
            if problem is not None:
                return problem
    except yaml.YAMLError:
        return None
    return None
