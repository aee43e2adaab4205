"""Hand-written behaviour: sessions, models, training and sampling.

Each handler takes the `State` and a validated `Call` and returns the JSON answer (for a
long-running operation: the result its future resolves to). An operation without a handler
answers a minimal valid instance of its response model. Checkpoint handlers: `_weights`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ._compute import forward_output, sample_output
from ._futures import Failure
from ._routes import RouteError
from ._state import Call, Model, Sampler, Session, State
from ._weights import WEIGHT_HANDLERS, save_for_sampler

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[[State, Call], Any]

DEFAULT_MODELS = ("Qwen/Qwen3-8B", "Qwen/Qwen3-30B-A3B", "meta-llama/Llama-3.2-1B")


def get_server_capabilities(state: State, call: Call) -> Any:
    return {
        "supported_models": [
            {"model_name": name, "max_context_length": 32_768, "trainable": True, "sampleable": True}
            for name in DEFAULT_MODELS
        ]
    }


def create_session(state: State, call: Call) -> Any:
    now = state.clock()
    session_id = f"fake-session-{len(state.sessions) + 1}"
    state.sessions[session_id] = Session(session_id, call.body, created=now, last_seen=now)
    return {"session_id": session_id, "type": "create_session"}


def session_heartbeat(state: State, call: Call) -> Any:
    session = state.session(str(call.body["session_id"]))
    session.last_seen = state.clock()
    session.heartbeats.append(session.last_seen)
    return {"type": "session_heartbeat"}


def create_sampling_session(state: State, call: Call) -> Any:
    body = call.body
    session = state.session(str(body["session_id"]))
    sampler_id = f"{session.session_id}:sample:{body['sampling_session_seq_id']}"
    if sampler_id in state.samplers:
        raise RouteError(409, f"sampling session {sampler_id} already exists")
    path = body.get("model_path")
    step, base = 0, body.get("base_model")
    if isinstance(path, str):
        checkpoint = state.checkpoint(path)
        step = checkpoint.step
        base = base or state.models[checkpoint.training_run_id].base_model
    if not isinstance(base, str):
        raise RouteError(400, "base_model or model_path is required")
    state.samplers[sampler_id] = Sampler(sampler_id, session.session_id, base, path, step)
    session.sampler_ids.append(sampler_id)
    return {"sampling_session_id": sampler_id, "type": "create_sampling_session"}


def create_model(state: State, call: Call) -> Any:
    body = call.body
    session = state.session(str(body["session_id"]))
    model_id = f"{session.session_id}:train:{body['model_seq_id']}"
    if model_id in state.models:
        raise Failure(f"model_seq_id {body['model_seq_id']} is already used in this session")
    now = state.clock()
    state.models[model_id] = Model(model_id, session.session_id, body, created=now, last_request=now)
    session.model_ids.append(model_id)
    return {"model_id": model_id, "type": "create_model"}


def get_info(state: State, call: Call) -> Any:
    model = state.model(str(call.body["model_id"]), alive=False)
    base = model.base_model
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "model_data": {"arch": "fake", "model_name": base, "tokenizer_id": base},
        "is_lora": model.lora_rank is not None,
        "model_name": base,
        "type": "get_info",
    }
    if model.lora_rank is not None:
        info["lora_rank"] = model.lora_rank
    return info


def unload_model(state: State, call: Call) -> Any:
    model = state.model(str(call.body["model_id"]))
    model.unloaded = True
    return {"model_id": model.model_id, "type": "unload_model"}


def _training_model(state: State, call: Call) -> Model:
    model = state.models[str(call.body["model_id"])]
    if model.unloaded:
        raise Failure(f"model {model.model_id} was unloaded")
    model.last_request = state.clock()
    return model


def forward(state: State, call: Call) -> Any:
    model = _training_model(state, call)
    batch = call.body.get("forward_input") or call.body.get("forward_backward_input") or {}
    return forward_output(batch.get("data", []), str(batch.get("loss_fn", "")), model.step)


def forward_backward(state: State, call: Call) -> Any:
    model = _training_model(state, call)
    result = forward(state, call)
    model.pending_gradients += 1
    return result


def optim_step(state: State, call: Call) -> Any:
    model = _training_model(state, call)
    params = call.body.get("adam_params") or call.body.get("optimizer_params") or {}
    stepped = model.pending_gradients > 0
    if stepped:
        model.step += 1
        model.pending_gradients = 0
    return {
        "metrics": {
            "step": float(model.step),
            "learning_rate": float(params.get("learning_rate", 0.0001)),
            "applied_gradients": 1.0 if stepped else 0.0,
        }
    }


def asample(state: State, call: Call) -> Any:
    body = call.body
    sampler_id = body.get("sampling_session_id")
    if isinstance(sampler_id, str):
        sampler = state.samplers[sampler_id]
        weights_id, step = sampler.model_path or sampler.base_model, sampler.step
    elif isinstance(body.get("model_path"), str):
        checkpoint = state.checkpoint_for_load(str(body["model_path"]))
        weights_id, step = checkpoint.tinker_path, checkpoint.step
    elif isinstance(body.get("base_model"), str):
        weights_id, step = str(body["base_model"]), 0
    else:
        raise Failure("sampling_session_id, model_path or base_model is required")
    return sample_output(body, weights_id, step)


def finish_session(state: State, call: Call) -> Any:
    session = state.session(str(call.args["session_id"]), alive=False)
    if session.finish_reason is None:  # the first reason wins
        reason = call.body.get("reason")
        session.finish_reason = {"reason": reason, "detail": call.body.get("detail")}
    return None


def get_session(state: State, call: Call) -> Any:
    session = state.session(str(call.args["session_id"]), alive=False)
    answer: dict[str, Any] = {"training_run_ids": session.model_ids, "sampler_ids": session.sampler_ids}
    metadata = session.body.get("user_metadata")
    if isinstance(metadata, dict):
        answer["user_metadata"] = {
            str(k): v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()
        }
    if session.body.get("display_name") is not None:
        answer["display_name"] = session.body["display_name"]
    return answer


def list_sessions(state: State, call: Call) -> Any:
    ids = list(state.sessions)
    offset, limit = int(call.args.get("offset") or 0), int(call.args.get("limit") or 20)  # type: ignore[call-overload]
    return {"sessions": ids[offset : offset + limit]}


def assign_project(state: State, call: Call) -> Any:
    state.session(str(call.args["session_id"]), alive=False).project_id = str(call.body["project_id"])
    return None


def get_sampler(state: State, call: Call) -> Any:
    sampler = state.sampler(str(call.args["sampler_id"]))
    answer = {"sampler_id": sampler.sampler_id, "base_model": sampler.base_model}
    if sampler.model_path is not None:
        answer["model_path"] = sampler.model_path
    return answer


def create_auth_token(state: State, call: Call) -> Any:
    """A JWT-shaped token (unsigned, `iat` and `exp` claims) valid for `state.token_lifetime`."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = state.clock()
    expires = now + state.token_lifetime
    claims = {"sub": "fake-user", "iat": int(now), "exp": int(expires), "n": len(state.tokens)}
    token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.fake"
    state.tokens[token] = expires
    return {"jwt": token}


def telemetry(state: State, call: Call) -> Any:
    state.telemetry.append(call.body)
    return {"status": "accepted"}


HANDLERS: dict[str, Handler] = {
    "service.get_server_capabilities": get_server_capabilities,
    "service.create_session": create_session,
    "service.session_heartbeat": session_heartbeat,
    "service.create_sampling_session": create_sampling_session,
    "service.create_auth_token": create_auth_token,
    "models.create": create_model,
    "models.get_info": get_info,
    "models.unload": unload_model,
    "training.forward": forward,
    "training.forward_backward": forward_backward,
    "training.optim_step": optim_step,
    "sampling.asample": asample,
    "sessions.finish": finish_session,
    "sessions.get": get_session,
    "sessions.list": list_sessions,
    "sessions.assign_project": assign_project,
    "samplers.get": get_sampler,
    "telemetry.send": telemetry,
    "weights.save_for_sampler": save_for_sampler,
    **WEIGHT_HANDLERS,
}
