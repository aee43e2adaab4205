"""Format stage: black, in process, with pinned settings; cached, and in parallel when cold."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from importlib.metadata import version

from . import cache

LINE_LENGTH = 100
_BLACK = version("black")


class Formatter:
    """Formats many sources; those not in the cache go to a pool of worker processes.

    `submit` returns at once, so the caller can work (e.g. generate models) meanwhile.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Future[str] | str] = {}

    def submit(self, sources: Mapping[str, str]) -> None:
        for name, source in sources.items():
            cache_key = cache.key("black", _BLACK, str(LINE_LENGTH), source)
            hit = cache.lookup("black", cache_key)
            if hit is not None:
                self._jobs[name] = hit
            else:
                self._jobs[name] = self._workers().submit(_format_and_store, source, name, cache_key)

    def results(self) -> dict[str, str]:
        try:
            return {name: job if isinstance(job, str) else job.result() for name, job in self._jobs.items()}
        finally:
            if self._pool is not None:
                self._pool.shutdown()

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


def _format_and_store(source: str, name: str, cache_key: str) -> str:
    formatted = format_source(source, name)
    cache.store("black", cache_key, formatted)
    return formatted
