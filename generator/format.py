"""Format stage: black, in process, with pinned settings; cached, and in parallel when cold."""

from __future__ import annotations

import ast
import itertools
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from importlib.metadata import version

from . import cache
from .emit import Emitted

LINE_LENGTH = 100
_BLACK = version("black")


def format_files(emitted: Emitted) -> dict[str, bytes]:
    """Every file of the package, Python formatted by black, sorted by relative path."""
    formatter = Formatter()
    try:
        formatter.submit(emitted.python)
        formatter.submit_by_class("types.py", emitted.models)
        files = {path: source.encode() for path, source in formatter.results().items()}
    finally:
        formatter.close()
    files.update(emitted.verbatim)
    return dict(sorted(files.items()))


class Formatter:
    """Formats many sources; those not in the cache go to a pool of worker processes.

    `submit` returns at once, so the caller can work (e.g. generate models) meanwhile.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Future[str] | str] = {}
        self._modules: dict[str, int] = {}  # a module formatted as this many chunks

    def submit_by_class(self, name: str, source: str) -> None:
        """Format a module of top-level classes one class at a time.

        Unchanged classes come from the cache, the others spread over the workers; the
        joined result is what black gives for the whole module (a test holds us to it).
        """
        chunks = top_level_chunks(source)
        self._modules[name] = len(chunks)
        self.submit({f"{name}#{index}": chunk for index, chunk in enumerate(chunks)})

    def submit(self, sources: Mapping[str, str]) -> None:
        for name, source in sources.items():
            cache_key = cache.key("black", _BLACK, str(LINE_LENGTH), source)
            hit = cache.lookup("black", cache_key)
            if hit is not None:
                self._jobs[name] = hit
            else:
                self._jobs[name] = self._workers().submit(_format_and_store, source, name, cache_key)

    def results(self) -> dict[str, str]:
        done = {name: job if isinstance(job, str) else job.result() for name, job in self._jobs.items()}
        for module, count in self._modules.items():
            parts = [done.pop(f"{module}#{index}").rstrip("\n") for index in range(count)]
            done[module] = "\n\n\n".join(parts) + "\n"
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _workers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            self._pool = ProcessPoolExecutor(max_workers=min(os.cpu_count() or 1, 4), mp_context=context)
        return self._pool


def format_source(source: str, name: str) -> str:
    """`source` formatted by black; a syntax error names the generated file."""
    import black
    from black.mode import TargetVersion
    from black.parsing import InvalidInput

    mode = black.Mode(target_versions={TargetVersion.PY310}, line_length=LINE_LENGTH)
    try:
        return black.format_str(source, mode=mode)
    except InvalidInput as exc:
        raise RuntimeError(f"generated {name} is not valid Python: {exc}") from None


def top_level_chunks(source: str) -> list[str]:
    """`source` cut before each top-level class: the preamble (imports), then one per class."""
    lines = source.splitlines(keepends=True)
    starts = [
        min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef)
    ]
    bounds = [0, *starts, len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds) if a < b]


def _format_and_store(source: str, name: str, cache_key: str) -> str:
    formatted = format_source(source, name)
    cache.store("black", cache_key, formatted)
    return formatted
