"""generate(): load → build → emit → format → write. Each stage is a pure function of its input."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .build import build
from .emit import emit
from .format import format_files
from .ir import Api
from .load import load
from .write import TreeDiff, write_tree

T = TypeVar("T")


@dataclass(frozen=True)
class Output:
    api: Api
    files: dict[str, bytes]  # the package, by relative path
    written: TreeDiff | None  # what changed in the folder written, if one was


def generate(
    spec_path: Path,
    display_name: str | None = None,
    timings: dict[str, float] | None = None,
    out: Path | None = None,
) -> Output:
    """The package generated from the spec at `spec_path`, written to `out` when given.

    `timings`, when given, receives each stage's seconds.
    """
    clock = _Stopwatch(timings)
    spec = clock.lap("load", load(spec_path, display_name))
    api = clock.lap("build", build(spec))
    emitted = clock.lap("emit", emit(api))
    files = clock.lap("format", format_files(emitted))
    written = clock.lap("write", write_tree(files, out) if out is not None else None)
    return Output(api, files, written)


class _Stopwatch:
    """Records, per stage, the time since the previous lap (its argument is already computed)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, stage: str, value: T) -> T:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = now - self.last
        self.last = now
        return value
