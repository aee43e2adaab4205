"""Hand-written behaviour of checkpoints and training runs: save, load, list, delete,
publish, TTL, `tinker://` paths, weights_info."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._futures import Failure
from ._routes import RouteError
from ._state import Call, Checkpoint, Model, Sampler, State, iso

__all__ = ["WEIGHT_HANDLERS", "save_for_sampler"]


def _page(call: Call, default_limit: int) -> tuple[int, int]:
    offset, limit = call.args.get("offset"), call.args.get("limit")
    return (offset if isinstance(offset, int) else 0), (limit if isinstance(limit, int) else default_limit)


def _store(state: State, model: Model, segment: str, call: Call, name: str | None) -> Checkpoint:
    body = call.body
    if name is None:
        taken = sum(1 for c in state.checkpoints.values() if c.training_run_id == model.model_id)
        name = f"{taken + 1:04d}"
    if "/" in name or not name:
        raise Failure(f"invalid checkpoint name {name!r}")
    now = state.clock()
    ttl = body.get("ttl_seconds")
    checkpoint = Checkpoint(
        model.model_id,
        segment,
        name,
        time=now,
        step=model.step,
        expires_at=now + ttl if isinstance(ttl, int) else None,
        user_metadata=body.get("user_metadata"),
    )
    state.purge_expired()
    if checkpoint.tinker_path in state.checkpoints and not body.get("overwrite"):
        raise Failure(f"checkpoint {checkpoint.tinker_path} already exists")
    state.checkpoints[checkpoint.tinker_path] = checkpoint
    return checkpoint


def _model(state: State, call: Call) -> Model:
    model = state.models[str(call.body["model_id"])]
    model.last_request = state.clock()
    return model


def save(state: State, call: Call) -> Any:
    checkpoint = _store(state, _model(state, call), "weights", call, call.body.get("path"))
    return {"path": checkpoint.tinker_path, "type": "save_weights"}


def save_for_sampler(state: State, call: Call) -> Any:
    """A named save yields a sampler checkpoint path; an unnamed one a sampling session."""
    model = _model(state, call)
    body = call.body
    seq = body.get("sampling_session_seq_id")
    if body.get("path") is None and isinstance(seq, int):
        session = state.sessions[model.session_id]
        sampler_id = f"{session.session_id}:sample:{seq}"
        if sampler_id in state.samplers:
            raise Failure(f"sampling session {sampler_id} already exists")
        state.samplers[sampler_id] = Sampler(
            sampler_id, session.session_id, model.base_model, None, model.step
        )
        session.sampler_ids.append(sampler_id)
        return {"sampling_session_id": sampler_id, "type": "save_weights_for_sampler"}
    checkpoint = _store(state, model, "sampler_weights", call, body.get("path"))
    return {"path": checkpoint.tinker_path, "type": "save_weights_for_sampler"}


def load(state: State, call: Call) -> Any:
    body = call.body
    checkpoint = state.checkpoint_for_load(str(body["path"]))
    if isinstance(body.get("model_id"), str):
        model = _model(state, call)
    else:  # create-via-load: a new model in the session, shaped like the checkpoint's
        session = state.session(str(body.get("session_id")))
        model_id = f"{session.session_id}:train:{body.get('model_seq_id')}"
        if model_id in state.models:
            raise Failure(f"model_seq_id {body.get('model_seq_id')} is already used in this session")
        source = state.models[checkpoint.training_run_id]
        shape = {**source.body, **{k: v for k, v in body.items() if k in ("base_model", "user_metadata")}}
        model = Model(model_id, session.session_id, shape, created=state.clock())
        state.models[model_id] = model
        session.model_ids.append(model_id)
    model.step = checkpoint.step
    model.pending_gradients = 0
    return {"path": checkpoint.tinker_path, "model_id": model.model_id, "type": "load_weights"}


def _path(call: Call) -> str:
    return f"tinker://{call.args['training_run_id']}/{call.args['checkpoint_id']}"


def list_checkpoints(state: State, call: Call) -> Any:
    state.purge_expired()
    run = str(call.args["training_run_id"])
    found = [c.json() for c in state.checkpoints.values() if c.training_run_id == run]
    return {"checkpoints": found}


def list_user_checkpoints(state: State, call: Call) -> Any:
    state.purge_expired()
    offset, limit = _page(call, 100)
    found = sorted(state.checkpoints.values(), key=lambda c: c.time, reverse=True)
    return {
        "checkpoints": [c.json() for c in found[offset : offset + limit]],
        "cursor": {"offset": offset, "limit": limit, "total_count": len(found)},
    }


def delete_checkpoint(state: State, call: Call) -> Any:
    del state.checkpoints[state.checkpoint(_path(call)).tinker_path]
    return None


def archive_url(state: State, call: Call) -> Any:
    checkpoint = state.checkpoint(_path(call))
    return {
        "url": f"https://storage.fake.invalid/{checkpoint.training_run_id}/{checkpoint.checkpoint_id}.tar",
        "expires": iso(state.clock() + 900),
    }


def publish(state: State, call: Call) -> Any:
    checkpoint = state.checkpoint(_path(call))
    if checkpoint.public:
        raise RouteError(409, f"checkpoint {checkpoint.tinker_path} is already public")
    checkpoint.public = True
    return None


def unpublish(state: State, call: Call) -> Any:
    checkpoint = state.checkpoint(_path(call))
    if not checkpoint.public:
        raise RouteError(409, f"checkpoint {checkpoint.tinker_path} is already private")
    checkpoint.public = False
    return None


def set_ttl(state: State, call: Call) -> Any:
    checkpoint = state.checkpoint(_path(call))
    ttl = call.body.get("ttl_seconds")
    checkpoint.expires_at = state.clock() + ttl if isinstance(ttl, int) else None
    return None


def weights_info(state: State, call: Call) -> Any:
    checkpoint = state.checkpoint(str(call.body["tinker_path"]))
    model = state.models[checkpoint.training_run_id]
    lora = model.body.get("lora_config") or {}
    answer: dict[str, Any] = {"base_model": model.base_model, "is_lora": model.lora_rank is not None}
    if model.lora_rank is not None:
        answer["lora_rank"] = model.lora_rank
        for key in ("train_unembed", "train_mlp", "train_attn"):
            answer[key] = bool(lora.get(key, True))
    return answer


def _run(state: State, model: Model) -> dict[str, Any]:
    state.purge_expired()
    mine = sorted(
        (c for c in state.checkpoints.values() if c.training_run_id == model.model_id), key=lambda c: c.time
    )
    run: dict[str, Any] = {
        "training_run_id": model.model_id,
        "base_model": model.base_model,
        "model_owner": "fake-user",
        "is_lora": model.lora_rank is not None,
        "last_request_time": iso(model.last_request or model.created),
    }
    if model.lora_rank is not None:
        run["lora_rank"] = model.lora_rank
    for key, segment in (("last_checkpoint", "weights"), ("last_sampler_checkpoint", "sampler_weights")):
        of_kind = [c for c in mine if c.segment == segment]
        if of_kind:
            run[key] = of_kind[-1].json()
    return run


def get_training_run(state: State, call: Call) -> Any:
    return _run(state, state.model(str(call.args["training_run_id"]), alive=False))


def list_training_runs(state: State, call: Call) -> Any:
    offset, limit = _page(call, 20)
    models = list(state.models.values())
    return {
        "training_runs": [_run(state, m) for m in models[offset : offset + limit]],
        "cursor": {"offset": offset, "limit": limit, "total_count": len(models)},
    }


WEIGHT_HANDLERS: dict[str, Callable[[State, Call], Any]] = {
    "weights.save": save,
    "weights.load": load,
    "weights.list": list_checkpoints,
    "weights.delete_checkpoint": delete_checkpoint,
    "weights.get_checkpoint_archive_url": archive_url,
    "checkpoints.get_weights_info": weights_info,
    "checkpoints.list": list_user_checkpoints,
    "checkpoints.publish": publish,
    "checkpoints.unpublish": unpublish,
    "checkpoints.set_ttl": set_ttl,
    "training_runs.get": get_training_run,
    "training_runs.list": list_training_runs,
}
