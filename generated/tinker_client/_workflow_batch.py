"""Ordering, batch splitting and result combining for TrainingClient (no I/O).

`Turns` hands out request numbers when a call is made (seq_id = number + 1) and lets each
request be sent only after every earlier one was accepted, so the server applies them in
submission order while the caller keeps submitting (forward_backward, then optim_step).
A large batch is split by datum count and estimated size, as the official SDK does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import Datum, ForwardBackwardOutput

__all__ = ["MAX_CHUNK_BYTES", "MAX_CHUNK_LEN", "Turns", "combine_outputs", "datum_bytes", "split_batch"]

MAX_CHUNK_LEN = 1024  # datums per request (the service's client config default)
MAX_CHUNK_BYTES = 5_000_000  # estimated payload bytes per request (the same)
TOKEN_BYTES = 4
INDEX_BYTES = 8


class Turns:
    """Request numbers in call order, and each request's turn to be sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_number = 0
        self._turn = 0
        self._changed: asyncio.Condition | None = None
        self.failure: BaseException | None = None

    def reserve(self, count: int) -> range:
        """`count` consecutive request numbers (called by the caller's thread, at submission)."""
        with self._lock:
            start = self._next_number
            self._next_number += count
        return range(start, start + count)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def abandon(self, numbers: range, failure: BaseException) -> None:
        """Give up reserved `numbers` (their request cannot be made) so later ones do not wait forever."""
        self.failure = self.failure or failure
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._turn >= numbers.start)
            self._turn = max(self._turn, numbers.stop)
            changed.notify_all()

    @asynccontextmanager
    async def turn(self, number: int) -> AsyncIterator[None]:
        """Wait until every earlier request was sent; the next one may go when this exits."""
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self._turn >= number)
        try:
            if self.failure is not None:
                raise RuntimeError(
                    "an earlier request of this TrainingClient failed, so later ones are not sent"
                ) from self.failure
            try:
                yield
            except BaseException as exc:
                self.failure = exc
                raise
        finally:
            async with changed:
                self._turn = max(self._turn, number + 1)
                changed.notify_all()


def datum_bytes(datum: Datum) -> int:
    """The estimated wire size of one datum (tokens 4 bytes, tensor values by dtype)."""
    total = 0
    for chunk in datum.model_input.chunks:
        if chunk.type == "encoded_text":
            total += TOKEN_BYTES * len(chunk.tokens)
        else:
            total += len(getattr(chunk, "data", "") or getattr(chunk, "location", "") or getattr(chunk, "dmel", ""))
    for tensor in datum.loss_fn_inputs.values():
        total += (8 if tensor.dtype == "int64" else 4) * len(tensor.data)
        total += INDEX_BYTES * len(tensor.sparse_crow_indices or ())
        total += INDEX_BYTES * len(tensor.sparse_col_indices or ())
    return total


def split_batch(
    data: Sequence[Datum], max_len: int = MAX_CHUNK_LEN, max_bytes: int = MAX_CHUNK_BYTES
) -> list[list[Datum]]:
    """`data` in order, cut where a request would exceed `max_len` datums or `max_bytes`."""
    chunks: list[list[Datum]] = []
    current: list[Datum] = []
    size = 0
    for datum in data:
        estimate = datum_bytes(datum)
        if current and (len(current) == max_len or size + estimate > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(datum)
        size += estimate
    if current:
        chunks.append(current)
    return chunks


def combine_outputs(results: Sequence[ForwardBackwardOutput]) -> ForwardBackwardOutput:
    """One output of a split batch: outputs concatenated, metrics reduced by their suffix.

    A metric `name:sum` adds, `:min`/`:max` take the extreme, `:mean` and `:slack` weigh
    each part by its datum count; `:unique` keeps every value (`key`, `key_1`, ...).
    """
    from .types import ForwardBackwardOutput

    if len(results) == 1:
        return results[0]
    weights = [len(r.loss_fn_outputs) for r in results]
    metrics: dict[str, float] = {}
    for key in (results[0].metrics or {}) if results else {}:
        values = [(r.metrics or {}).get(key) for r in results]
        if any(v is None for v in values):
            continue
        metrics.update(_reduce(key, [float(v) for v in values if v is not None], weights))
    return ForwardBackwardOutput(
        loss_fn_output_type=results[0].loss_fn_output_type if results else "",
        loss_fn_outputs=[out for r in results for out in r.loss_fn_outputs],
        metrics=metrics,
    )


def _reduce(key: str, values: list[float], weights: list[int]) -> dict[str, float]:
    reduction = key.rpartition(":")[2]
    total = sum(weights)
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total if total else sum(values) / len(values)
    reducers: dict[str, Any] = {
        "sum": lambda: sum(values),
        "min": lambda: min(values),
        "max": lambda: max(values),
        "mean": lambda: mean,
        "slack": lambda: max(values) - mean,
        "hash2": lambda: float(sum(int(v) & 0xFFFF_FFFF_FFFF_FFFF for v in values) & 0xFFFF_FFFF_FFFF_FFFF),
    }
    if reduction == "unique":
        return {key: values[0], **{f"{key}_{i + 1}": v for i, v in enumerate(values[1:])}}
    if reduction not in reducers:
        return {}
    return {key: float(reducers[reduction]())}
