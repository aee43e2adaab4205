"""The fake's side of the future protocol (api-facts 1.7) and of seq_id ordering.

A long-running request is answered at once with `{"request_id", ...}`. Its work is applied
as soon as every training request before it on the same model (by `seq_id`) has been;
until then it is *held*. `retrieve_future` answers `try_again` while a request is held and
for a configurable number of rounds after, then its result, or its failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._routes import RouteError

__all__ = ["Failure", "FutureRecord", "Futures"]


class Failure(Exception):
    """A long-running request that failed on the server: its future answers `{error, category}`."""

    def __init__(self, error: str, category: str = "user") -> None:
        super().__init__(error)
        self.error = error
        self.category = category


@dataclass
class FutureRecord:
    """One long-running request, from submission to its result."""

    request_id: str
    operation: str
    body: dict[str, Any]
    model_id: str | None
    seq_id: int | None
    rounds: int  # try_again answers still to give once applied
    applied: bool = False
    result: Any = None
    failure: Failure | None = None
    polls: int = 0
    expired: bool = False
    injected: Failure | None = None  # a failure the test asked for


@dataclass
class _Lane:
    """The training requests of one model, applied in seq_id order from 1."""

    next_seq: int = 1
    held: dict[int, tuple[FutureRecord, Callable[[FutureRecord], None]]] = field(default_factory=dict)
    used: dict[int, FutureRecord] = field(default_factory=dict)


class Futures:
    """Every future the fake handed out, and the poll answers it gives for them."""

    def __init__(
        self,
        try_again_rounds: int = 0,
        queue_states: tuple[str, ...] = ("active",),
        retry_after_ms: int | None = None,
        metadata_threshold: int | None = None,
    ) -> None:
        self.try_again_rounds = try_again_rounds
        self.queue_states = queue_states
        self.retry_after_ms = retry_after_ms
        self.metadata_threshold = metadata_threshold
        self.rounds_by_operation: dict[str, int] = {}
        self.records: dict[str, FutureRecord] = {}
        self._lanes: dict[str, _Lane] = {}
        self._failures: dict[str, list[Failure]] = {}

    def fail_next(self, operation: str, failure: Failure, times: int) -> None:
        self._failures.setdefault(operation, []).extend([failure] * times)

    def create(self, operation: str, body: dict[str, Any]) -> FutureRecord:
        model_id, seq_id = body.get("model_id"), body.get("seq_id")
        record = FutureRecord(
            request_id=f"fake-request-{len(self.records) + 1}",
            operation=operation,
            body=body,
            model_id=model_id if isinstance(model_id, str) else None,
            seq_id=seq_id if isinstance(seq_id, int) and isinstance(model_id, str) else None,
            rounds=self.rounds_by_operation.get(operation, self.try_again_rounds),
        )
        if record.seq_id is not None and record.model_id is not None:
            self._take_seq(record, record.model_id, record.seq_id)
        pending = self._failures.get(operation)
        if pending and not record.applied:
            record.injected = pending.pop(0)
        self.records[record.request_id] = record
        return record

    def _take_seq(self, record: FutureRecord, model_id: str, seq_id: int) -> None:
        """Claim `seq_id` on the model for `record`; 400 when a live request holds it."""
        lane = self._lanes.setdefault(model_id, _Lane())
        earlier = lane.used.get(seq_id)
        if earlier is not None and not earlier.expired:
            raise RouteError(400, f"seq_id {seq_id} was already used for model {model_id}")
        if earlier is not None and earlier.applied:
            # Re-submitted after its future expired (410): the work was done once, keep it.
            record.applied, record.result, record.failure = earlier.applied, earlier.result, earlier.failure
            record.seq_id = None
            return
        lane.held.pop(seq_id, None)  # an expired request still waiting gives its turn to this one
        lane.used[seq_id] = record

    def submit(self, record: FutureRecord, apply: Callable[[FutureRecord], None]) -> None:
        """Apply `record` now, or hold it until the requests before it (by seq_id) arrive."""
        if record.applied:
            return
        if record.seq_id is None or record.model_id is None:
            self._apply(record, apply)
            return
        lane = self._lanes.setdefault(record.model_id, _Lane())
        lane.held[record.seq_id] = (record, apply)
        while lane.next_seq in lane.held:
            ready, ready_apply = lane.held.pop(lane.next_seq)
            lane.next_seq += 1
            self._apply(ready, ready_apply)

    def waiting_for(self, record: FutureRecord) -> int | None:
        """The seq_id a held `record` waits for."""
        lane = self._lanes.get(record.model_id or "")
        if record.applied or lane is None:
            return None
        return lane.next_seq

    @staticmethod
    def _apply(record: FutureRecord, apply: Callable[[FutureRecord], None]) -> None:
        record.applied = True
        if record.injected is not None:
            record.failure = record.injected
            return
        try:
            apply(record)
        except Failure as failure:
            record.failure = failure
        except RouteError as error:
            record.failure = Failure(error.message, "server" if error.status >= 500 else "user")

    def poll(self, request_id: str, allow_metadata_only: bool) -> tuple[int, Any]:
        """The status and JSON answer of one `retrieve_future` for `request_id`."""
        record = self.records.get(request_id)
        if record is None:
            return 404, {"error": f"no request {request_id}", "category": "user"}
        if record.expired:
            return 410, {"error": f"request {request_id} expired; submit it again", "category": "user"}
        record.polls += 1
        waiting = self.waiting_for(record)
        if waiting is not None:
            return 200, self._try_again(record, "active", f"waiting for seq_id {waiting}")
        if record.rounds > 0:
            record.rounds -= 1
            state = (
                self.queue_states[(record.polls - 1) % len(self.queue_states)]
                if self.queue_states
                else "active"
            )
            return 200, self._try_again(record, state, None)
        if record.failure is not None:
            return 200, {"error": record.failure.error, "category": record.failure.category}
        if allow_metadata_only and self.metadata_threshold is not None:
            size = len(json.dumps(record.result))
            if size > self.metadata_threshold:
                return 200, {"status": "complete_metadata", "response_payload_size": size}
        return 200, record.result

    def _try_again(self, record: FutureRecord, state: str, reason: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = {"type": "try_again", "request_id": record.request_id, "queue_state": state}
        if reason is not None:
            answer["queue_state_reason"] = reason
        elif state != "active":
            answer["queue_state_reason"] = state.replace("_", " ")
        if self.retry_after_ms is not None:
            answer["retry_after_ms"] = self.retry_after_ms
        return answer
