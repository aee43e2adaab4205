"""`TrainingClient.forward_backward_custom`: a loss computed locally with torch.

A forward pass (cross-entropy) gives every datum's logprobs; the caller's loss is
differentiated with respect to them here, and `weights = -dloss/dlogprobs` are sent in a
cross-entropy forward_backward, whose gradient is then the gradient of the custom loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._helpers import optional_module
from ._workflow_loop import ClientFuture

if TYPE_CHECKING:
    from ._training import TrainingClient
    from .types import Datum, ForwardBackwardOutput

__all__ = ["custom_forward_backward", "require_torch"]


def require_torch() -> Any:
    """The torch module; ImportError naming what to install when it is absent."""
    return optional_module("torch", "forward_backward_custom()")


def custom_forward_backward(
    client: TrainingClient, data: Sequence[Datum], loss_fn: Callable[..., Any]
) -> ClientFuture[ForwardBackwardOutput]:
    forward_data = [_forward_datum(d) for d in data]
    from ._workflow_batch import MAX_CHUNK_BYTES, MAX_CHUNK_LEN, split_batch

    forward = client.forward(forward_data, "cross_entropy")
    # The backward pass is numbered now, so that a call made after this one applies after it.
    session = client._session
    limits = (
        session.setting("fwdbwd_max_chunk_len", MAX_CHUNK_LEN),
        session.setting("fwdbwd_max_chunk_bytes_count", MAX_CHUNK_BYTES),
    )
    backward_numbers = client._turns.reserve(len(split_batch(forward_data, *limits)))

    async def run() -> ForwardBackwardOutput:
        try:
            result = await forward.result_async()
            linear, metrics = _linearize(data, loss_fn, result)
        except BaseException as exc:
            await client._turns.abandon(backward_numbers, exc)
            raise
        backward = client._fwdbwd(linear, "cross_entropy", None, forward_only=False, numbers=backward_numbers)
        output = await backward.result_async()
        return output.model_copy(update={"metrics": {**(output.metrics or {}), **metrics}})

    return client._session.loop.submit(run())


def _forward_datum(datum: Datum) -> Datum:
    from .types import Datum, TensorData

    targets = datum.loss_fn_inputs.get("target_tokens")
    if targets is None:
        raise ValueError("forward_backward_custom needs target_tokens in every datum's loss_fn_inputs")
    weights = datum.loss_fn_inputs.get("weights") or TensorData(
        data=[0.0] * len(targets.data), dtype="float32", shape=targets.shape
    )
    return Datum(model_input=datum.model_input, loss_fn_inputs={"target_tokens": targets, "weights": weights})


def _linearize(
    data: Sequence[Datum], loss_fn: Callable[..., Any], result: ForwardBackwardOutput
) -> tuple[list[Datum], dict[str, float]]:
    from .types import Datum, TensorData

    torch = require_torch()
    logprobs = []
    for output in result.loss_fn_outputs:
        values = torch.tensor(output["logprobs"].data)
        if output["logprobs"].shape:
            values = values.reshape(output["logprobs"].shape)
        logprobs.append(values.clone().detach().requires_grad_(True))
    loss, metrics = loss_fn(list(data), logprobs)
    loss.backward()
    linear = []
    for datum, lp in zip(data, logprobs, strict=True):
        if lp.grad is None:
            raise ValueError("the custom loss does not depend on every datum's logprobs")
        weights = TensorData.from_torch(-lp.grad)
        inputs = {"target_tokens": datum.loss_fn_inputs["target_tokens"], "weights": weights}
        linear.append(Datum(model_input=datum.model_input, loss_fn_inputs=inputs))
    return linear, {str(k): float(v) for k, v in dict(metrics).items()}
