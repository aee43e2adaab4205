"""Deterministic stand-ins for the model: logprobs of forward passes and sampled tokens.

Every number is a pure function of the request and of the model's `step` (optimizer steps
applied), so a test can predict it, and the loss of the same batch falls as training goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["VOCAB_SIZE", "forward_output", "logprob", "sample_output"]

VOCAB_SIZE = 32_000
DEFAULT_MAX_TOKENS = 16


def logprob(token: int, position: int, step: int) -> float:
    """The fake log-probability of `token` at `position` after `step` optimizer steps (< 0)."""
    base = 0.5 + ((token * 31 + position * 7) % 97) / 20.0
    return round(-base / (1.0 + 0.25 * step), 6)


def _tokens(model_input: Mapping[str, Any]) -> list[int]:
    """The text tokens of a ModelInput; an image chunk counts as `expected_tokens` zeros."""
    out: list[int] = []
    for chunk in model_input.get("chunks", []):
        tokens = chunk.get("tokens")
        out.extend(tokens if isinstance(tokens, list) else [0] * int(chunk.get("expected_tokens") or 1))
    return out


def _flat(tensor: Mapping[str, Any] | None) -> list[Any]:
    """The values of a TensorData, row-major; a sparse (CSR) one densified with zeros."""
    if not tensor:
        return []
    data = tensor.get("data")
    values = list(data) if isinstance(data, list) else []
    crow, col, shape = (
        tensor.get("sparse_crow_indices"),
        tensor.get("sparse_col_indices"),
        tensor.get("shape"),
    )
    if not (isinstance(crow, list) and isinstance(col, list) and isinstance(shape, list) and len(shape) == 2):
        return values
    dense: list[Any] = [0] * (int(shape[0]) * int(shape[1]))
    for row in range(len(crow) - 1):
        for index in range(int(crow[row]), int(crow[row + 1])):
            dense[row * int(shape[1]) + int(col[index])] = values[index]
    return dense


def forward_output(data: Sequence[Mapping[str, Any]], loss_fn: str, step: int) -> dict[str, Any]:
    """A ForwardBackwardOutput: per datum `logprobs` (one per target token) and `elementwise_loss`."""
    outputs: list[dict[str, Any]] = []
    loss = 0.0
    for datum in data:
        inputs = datum.get("loss_fn_inputs") or {}
        targets = _flat(inputs.get("target_tokens")) or _tokens(datum.get("model_input") or {})
        weights = _flat(inputs.get("weights")) or [1.0] * len(targets)
        logprobs = [logprob(int(t), i, step) for i, t in enumerate(targets)]
        losses = [-lp * float(w) for lp, w in zip(logprobs, weights, strict=False)]
        loss += sum(losses)
        outputs.append(
            {
                "logprobs": {"data": logprobs, "dtype": "float32", "shape": [len(logprobs)]},
                "elementwise_loss": {"data": losses, "dtype": "float32", "shape": [len(losses)]},
            }
        )
    metrics = {"loss:sum": round(loss, 6), "loss_fn:" + loss_fn: 1.0}
    return {"loss_fn_output_type": "ArrayRecord", "loss_fn_outputs": outputs, "metrics": metrics}


def _token(seed: str, index: int) -> int:
    digest = hashlib.sha256(f"{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % VOCAB_SIZE


def sample_output(request: Mapping[str, Any], weights_id: str, step: int) -> dict[str, Any]:
    """A SampleResponse: `num_samples` sequences of `max_tokens` tokens (fewer at a stop token)."""
    params = request.get("sampling_params") or {}
    prompt = _tokens(request.get("prompt") or {})
    max_tokens = int(params.get("max_tokens") or DEFAULT_MAX_TOKENS)
    stop = params.get("stop")
    stop_tokens = [s for s in stop if isinstance(s, int)] if isinstance(stop, list) else []
    sequences = []
    for sample in range(int(request.get("num_samples") or 1)):
        seed = f"{weights_id}/{step}/{params.get('seed')}/{sample}/{prompt}"
        tokens = [_token(seed, i) for i in range(max_tokens)]
        reason = "length"
        if stop_tokens and max_tokens > 1:
            # The fake "decides" to stop halfway, with the first stop token the caller allows.
            tokens = [*tokens[: max_tokens // 2], stop_tokens[0]]
            reason = "stop"
        logprobs = [logprob(t, len(prompt) + i, step) for i, t in enumerate(tokens)]
        sequences.append({"stop_reason": reason, "tokens": tokens, "logprobs": logprobs})
    result: dict[str, Any] = {"sequences": sequences, "type": "sample"}
    if request.get("prompt_logprobs"):
        result["prompt_logprobs"] = [None, *(logprob(t, i, step) for i, t in enumerate(prompt) if i > 0)]
    topk = int(request.get("topk_prompt_logprobs") or 0)
    if topk:
        pairs = [
            [[(t + k) % VOCAB_SIZE, logprob(t + k, i, step)] for k in range(topk)]
            for i, t in enumerate(prompt)
        ]
        result["topk_prompt_logprobs"] = [None, *pairs[1:]]
    return result
