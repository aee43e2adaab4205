"""What the fake remembers: sessions, models (training runs), samplers and checkpoints.

Plain records with the facts a test may want to assert on (heartbeat times, the reason a
session finished, the optimizer steps a model took, a checkpoint's expiry); the behaviour
that changes them lives in `_handlers` and `_weights`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._futures import Failure
from ._routes import RouteError

__all__ = ["Call", "Checkpoint", "Model", "Sampler", "Session", "State", "iso"]

CHECKPOINT_TYPES = {"weights": "training", "sampler_weights": "sampler", "external_weights": "external"}


def iso(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).isoformat()


@dataclass
class Call:
    """One validated request: its operation, path/query arguments and JSON body."""

    operation: str
    args: dict[str, object]
    body: dict[str, Any]


@dataclass
class Session:
    session_id: str
    body: dict[str, Any]
    created: float
    last_seen: float
    heartbeats: list[float] = field(default_factory=list)
    finish_reason: dict[str, Any] | None = None
    expired: bool = False
    project_id: str | None = None
    model_ids: list[str] = field(default_factory=list)
    sampler_ids: list[str] = field(default_factory=list)


@dataclass
class Model:
    model_id: str
    session_id: str
    body: dict[str, Any]
    created: float
    step: int = 0  # optimizer steps applied
    pending_gradients: int = 0  # forward_backward passes since the last step
    unloaded: bool = False
    last_request: float = 0.0

    @property
    def base_model(self) -> str:
        return str(self.body.get("base_model") or "fake/base-model")

    @property
    def lora_rank(self) -> int | None:
        lora = self.body.get("lora_config")
        return int(lora["rank"]) if isinstance(lora, dict) and "rank" in lora else None


@dataclass
class Sampler:
    sampler_id: str
    session_id: str
    base_model: str
    model_path: str | None
    step: int


@dataclass
class Checkpoint:
    training_run_id: str
    segment: str  # weights, sampler_weights or external_weights
    name: str
    time: float
    step: int
    size_bytes: int = 1_048_576
    public: bool = False
    expires_at: float | None = None
    user_metadata: dict[str, str] | None = None

    @property
    def checkpoint_id(self) -> str:
        return f"{self.segment}/{self.name}"

    @property
    def tinker_path(self) -> str:
        return f"tinker://{self.training_run_id}/{self.segment}/{self.name}"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checkpoint_id": self.checkpoint_id,
            "checkpoint_type": CHECKPOINT_TYPES[self.segment],
            "time": iso(self.time),
            "tinker_path": self.tinker_path,
            "size_bytes": self.size_bytes,
            "public": self.public,
            "training_run_id": self.training_run_id,
        }
        if self.expires_at is not None:
            out["expires_at"] = iso(self.expires_at)
        if self.user_metadata is not None:
            out["user_metadata"] = self.user_metadata
        return out


class State:
    """Everything the fake knows, and the lookups that answer 404/410 for unknown or ended ids."""

    def __init__(self, clock: Callable[[], float], session_timeout: float | None) -> None:
        self.clock = clock
        self.session_timeout = session_timeout
        self.sessions: dict[str, Session] = {}
        self.models: dict[str, Model] = {}
        self.samplers: dict[str, Sampler] = {}
        self.checkpoints: dict[str, Checkpoint] = {}  # by tinker path
        self.telemetry: list[dict[str, Any]] = []
        self.tokens: dict[str, float] = {}  # tokens issued by the auth exchange, and their expiry
        self.token_lifetime = 3600.0

    # ---------------------------------------------------------------- lookups

    def session(self, session_id: str, *, alive: bool = True) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise RouteError(404, f"session {session_id} not found")
        timeout = self.session_timeout
        if timeout is not None and self.clock() - session.last_seen > timeout:
            session.expired = True
        if alive and (session.expired or session.finish_reason is not None):
            state = "expired" if session.expired else "finished"
            raise RouteError(410, f"session {session_id} has {state}")
        return session

    def model(self, model_id: str, *, alive: bool = True) -> Model:
        model = self.models.get(model_id)
        if model is None:
            raise RouteError(404, f"model {model_id} not found")
        if alive:
            self.session(model.session_id)
            if model.unloaded:
                raise RouteError(400, f"model {model_id} was unloaded")
        return model

    def sampler(self, sampler_id: str) -> Sampler:
        sampler = self.samplers.get(sampler_id)
        if sampler is None:
            raise RouteError(404, f"sampler {sampler_id} not found")
        return sampler

    def checkpoint(self, tinker_path: str) -> Checkpoint:
        self.purge_expired()
        checkpoint = self.checkpoints.get(tinker_path)
        if checkpoint is None:
            raise RouteError(404, f"checkpoint {tinker_path} not found")
        return checkpoint

    def checkpoint_for_load(self, tinker_path: str) -> Checkpoint:
        """The checkpoint a long-running request reads; a missing one fails that request."""
        try:
            return self.checkpoint(tinker_path)
        except RouteError as error:
            raise Failure(error.message, "user") from None

    def purge_expired(self) -> None:
        now = self.clock()
        for path in [
            p for p, c in self.checkpoints.items() if c.expires_at is not None and c.expires_at <= now
        ]:
            del self.checkpoints[path]

    def check_references(self, call: Call) -> None:
        """404/410 before any work when a request names a session, model or sampler that is not there."""
        if call.operation == "telemetry.send":
            return  # session-less clients report under ids the server never issued
        refs = {**call.body, **call.args}
        session_id = refs.get("session_id")
        if isinstance(session_id, str):
            self.session(session_id, alive=call.operation not in _READS)
        for key in ("model_id", "training_run_id"):
            model_id = refs.get(key)
            if isinstance(model_id, str):
                self.model(model_id, alive=call.operation not in _READS)
        for key in ("sampling_session_id", "sampler_id"):
            sampler_id = refs.get(key)
            if isinstance(sampler_id, str):
                self.sampler(sampler_id)


# Operations that read the record of a session or model that may have ended.
_READS = frozenset(
    {
        "sessions.get",
        "sessions.finish",
        "sessions.get_trace_export",
        "training_runs.get",
        "weights.list",
        "weights.delete_checkpoint",
        "weights.get_checkpoint_archive_url",
        "weights.get_external_urls",
        "checkpoints.publish",
        "checkpoints.unpublish",
        "checkpoints.set_ttl",
        "models.get_info",
    }
)
