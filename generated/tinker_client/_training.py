"""`TrainingClient`: forward/backward passes, optimizer steps and checkpoints of one model.

The same public methods, parameters and defaults as the official SDK's TrainingClient.
Every call is numbered when it is made (its `seq_id`) and returns a `ClientFuture` at once;
requests are sent in that order, so `forward_backward` then `optim_step` may be submitted
without waiting. A large batch is split into several requests and their results combined.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._endpoint import RequestOptions
from ._errors import TinkerError
from ._workflow_batch import MAX_CHUNK_BYTES, MAX_CHUNK_LEN, Turns, combine_outputs, split_batch
from ._workflow_loop import ClientFuture, QueueState
from ._workflow_tokenizer import load_tokenizer
from ._workflow_wait import run_request

if TYPE_CHECKING:
    from ._client import AsyncTinker
    from ._sampling import SamplingClient
    from ._workflow_session import Session
    from .types import (
        AdamParams,
        Datum,
        ForwardBackwardOutput,
        GetInfoResponse,
        LoadWeightsResponse,
        OptimizerParams,
        OptimStepResponse,
        SaveWeightsForSamplerResponse,
        SaveWeightsResponse,
    )

T = TypeVar("T")
LossFn = Literal["cross_entropy", "importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce"]
CONSOLE_URL = "https://tinker.thinkingmachines.ai"

__all__ = ["TrainingClient"]


class TrainingClient:
    """One model being trained. Get it from `ServiceClient.create_lora_training_client(...)`.

    ```python
    fwd = training_client.forward_backward(data, "cross_entropy")
    opt = training_client.optim_step(types.AdamParams(learning_rate=1e-4))
    print(fwd.result().metrics, opt.result())
    ```
    """

    def __init__(self, session: Session, model_seq_id: int, model_id: str, *, info: GetInfoResponse) -> None:
        self._session = session
        self._model_seq_id = model_seq_id
        self.model_id = model_id
        self._info = info
        self._turns = Turns()

    def __repr__(self) -> str:
        return f"TrainingClient(model_id={self.model_id!r})"

    # ------------------------------------------------------------------ training

    def forward(
        self, data: list[Datum], loss_fn: LossFn, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        """The loss and outputs of `data`, without gradients."""
        return self._fwdbwd(data, loss_fn, loss_fn_config, forward_only=True)

    async def forward_async(
        self, data: list[Datum], loss_fn: LossFn, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        return self.forward(data, loss_fn, loss_fn_config)

    def forward_backward(
        self, data: list[Datum], loss_fn: LossFn, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        """Compute the loss of `data` and accumulate its gradients (applied by `optim_step`)."""
        return self._fwdbwd(data, loss_fn, loss_fn_config, forward_only=False)

    async def forward_backward_async(
        self, data: list[Datum], loss_fn: LossFn, loss_fn_config: Mapping[str, float | str] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        return self.forward_backward(data, loss_fn, loss_fn_config)

    def forward_backward_custom(
        self, data: list[Datum], loss_fn: Callable[..., Any], *, loss_type_input: Literal["logprobs"] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        """A loss computed here with torch: `loss_fn(data, logprobs) -> (loss, metrics)`.

        A forward pass gives each datum's logprobs; the gradient of your loss with respect
        to them becomes the weights of a cross-entropy backward pass. Needs torch.
        """
        from ._workflow_custom import custom_forward_backward, require_torch

        require_torch()
        if loss_type_input not in (None, "logprobs"):
            raise ValueError(f"unsupported loss_type_input={loss_type_input!r}; supported: 'logprobs'")
        return custom_forward_backward(self, data, loss_fn)

    async def forward_backward_custom_async(
        self, data: list[Datum], loss_fn: Callable[..., Any], *, loss_type_input: Literal["logprobs"] | None = None
    ) -> ClientFuture[ForwardBackwardOutput]:
        return self.forward_backward_custom(data, loss_fn, loss_type_input=loss_type_input)

    def optim_step(
        self, optim_params: AdamParams | OptimizerParams | None = None, *, adam_params: AdamParams | None = None
    ) -> ClientFuture[OptimStepResponse]:
        """Apply the accumulated gradients with the model's optimizer."""
        from .types import AdamParams, OptimStepResponse

        if optim_params is not None and adam_params is not None:
            raise ValueError("pass optim_params or adam_params, not both")
        params = optim_params if optim_params is not None else adam_params
        if params is None:
            raise ValueError("optim_step needs optim_params, e.g. types.AdamParams(learning_rate=1e-4)")
        key = "adam_params" if isinstance(params, AdamParams) else "optimizer_params"

        def send(seq_id: int, options: RequestOptions) -> Awaitable[Any]:
            args: dict[str, Any] = {key: params}
            return self._client.training.optim_step(model_id=self.model_id, seq_id=seq_id, options=options, **args)

        return self._one("optim_step", "OptimStep", OptimStepResponse, send)

    async def optim_step_async(
        self, optim_params: AdamParams | OptimizerParams | None = None, *, adam_params: AdamParams | None = None
    ) -> ClientFuture[OptimStepResponse]:
        return self.optim_step(optim_params, adam_params=adam_params)

    # ------------------------------------------------------------------ checkpoints

    def save_state(
        self, name: str, ttl_seconds: int | None = None, overwrite: bool = False, user_metadata: dict[str, str] | None = None
    ) -> ClientFuture[SaveWeightsResponse]:
        """Save weights and optimizer state as `tinker://<run>/weights/<name>`."""
        from .types import SaveWeightsResponse

        def send(seq_id: int, options: RequestOptions) -> Awaitable[Any]:
            return self._client.weights.save(
                model_id=self.model_id, path=name, seq_id=seq_id, ttl_seconds=ttl_seconds,
                overwrite=overwrite, user_metadata=user_metadata, options=options,
            )

        return self._one("save_state", "SaveWeights", SaveWeightsResponse, send)

    async def save_state_async(
        self, name: str, ttl_seconds: int | None = None, overwrite: bool = False, user_metadata: dict[str, str] | None = None
    ) -> ClientFuture[SaveWeightsResponse]:
        return self.save_state(name, ttl_seconds, overwrite, user_metadata)

    def load_state(self, path: str, weights_access_token: str | None = None) -> ClientFuture[LoadWeightsResponse]:
        """Load the weights of a checkpoint (not its optimizer state) into this model."""
        return self._load(path, weights_access_token, optimizer=False)

    async def load_state_async(self, path: str, weights_access_token: str | None = None) -> ClientFuture[LoadWeightsResponse]:
        return self.load_state(path, weights_access_token)

    def load_state_with_optimizer(self, path: str, weights_access_token: str | None = None) -> ClientFuture[LoadWeightsResponse]:
        """Load the weights and the optimizer state of a checkpoint into this model."""
        return self._load(path, weights_access_token, optimizer=True)

    async def load_state_with_optimizer_async(
        self, path: str, weights_access_token: str | None = None
    ) -> ClientFuture[LoadWeightsResponse]:
        return self.load_state_with_optimizer(path, weights_access_token)

    def save_weights_for_sampler(
        self, name: str, ttl_seconds: int | None = None, user_metadata: dict[str, str] | None = None
    ) -> ClientFuture[SaveWeightsForSamplerResponse]:
        """Save weights for sampling as `tinker://<run>/sampler_weights/<name>`."""
        from .types import SaveWeightsForSamplerResponse

        future = self._save_for_sampler(name, ttl_seconds, user_metadata, "snapshot")

        async def convert() -> SaveWeightsForSamplerResponse:
            saved = await future.result_async()
            return SaveWeightsForSamplerResponse(path=saved.path or "")

        return self._session.loop.submit(convert())

    async def save_weights_for_sampler_async(
        self, name: str, ttl_seconds: int | None = None, user_metadata: dict[str, str] | None = None
    ) -> ClientFuture[SaveWeightsForSamplerResponse]:
        return self.save_weights_for_sampler(name, ttl_seconds, user_metadata)

    def save_weights_external(
        self, name: str, ttl_seconds: int | None = None, age_encryption_recipients: list[str] | None = None
    ) -> ClientFuture[Any]:
        """Save weights for use outside Tinker (needs the spec's `weights.save_external`)."""
        from . import types

        save = getattr(self._client.weights, "save_external", None)
        result: type[Any] | None = vars(types).get("SaveWeightsExternalResponse")
        if save is None or result is None:
            raise TinkerError("save_weights_external needs the weights.save_external operation in the spec")

        def send(seq_id: int, options: RequestOptions) -> Awaitable[Any]:
            return save(  # type: ignore[no-any-return]
                model_id=self.model_id, path=name, seq_id=seq_id, ttl_seconds=ttl_seconds,
                age_encryption_recipients=age_encryption_recipients, options=options,
            )

        return self._one("save_weights_external", "SaveWeightsExternal", result, send)

    async def save_weights_external_async(
        self, name: str, ttl_seconds: int | None = None, age_encryption_recipients: list[str] | None = None
    ) -> ClientFuture[Any]:
        return self.save_weights_external(name, ttl_seconds, age_encryption_recipients)

    # ------------------------------------------------------------------ sampling

    def save_weights_and_get_sampling_client(
        self, name: str | None = None, retry_config: Any = None, record_stability_info: bool = False,
        kind: Literal["snapshot", "inflight"] = "snapshot",
    ) -> ClientFuture[SamplingClient]:
        """Save the current weights in a new sampling session and return its SamplingClient."""
        from ._sampling import SamplingClient

        future = self._save_for_sampler(None, None, None, kind)
        base_model = self._info.model_data.model_name or self._info.model_name or ""

        async def create() -> SamplingClient:
            saved = await future.result_async()
            if saved.sampling_session_id is None:
                raise TinkerError("save_weights_for_sampler answered without a sampling_session_id")
            return SamplingClient(
                self._session, sampling_session_id=saved.sampling_session_id, base_model=base_model,
                record_stability_info=record_stability_info,
            )

        return self._session.loop.submit(create())

    async def save_weights_and_get_sampling_client_async(
        self, name: str | None = None, retry_config: Any = None, record_stability_info: bool = False,
        kind: Literal["snapshot", "inflight"] = "snapshot",
    ) -> SamplingClient:
        return await self.save_weights_and_get_sampling_client(name, retry_config, record_stability_info, kind)

    def create_sampling_client(
        self, model_path: str, retry_config: Any = None, record_stability_info: bool = False
    ) -> ClientFuture[SamplingClient]:
        """A SamplingClient of a saved sampler checkpoint."""
        from ._sampling import open_sampling_client

        coro = open_sampling_client(self._session, model_path, None, record_stability_info)
        return self._session.loop.submit(coro)

    async def create_sampling_client_async(
        self, model_path: str, retry_config: Any = None, record_stability_info: bool = False
    ) -> SamplingClient:
        return await self.create_sampling_client(model_path, retry_config, record_stability_info)

    # ------------------------------------------------------------------ information

    def get_info(self) -> GetInfoResponse:
        """The model's information (base model, LoRA rank, tokenizer id, ...)."""
        return self._session.loop.run(self._client.models.get_info(model_id=self.model_id))

    async def get_info_async(self) -> GetInfoResponse:
        return await self._session.loop.submit(self._client.models.get_info(model_id=self.model_id))

    def get_tokenizer(self) -> Any:
        """The model's tokenizer (needs `transformers`)."""
        model_name = self._info.model_data.model_name or self._info.model_name or ""
        return load_tokenizer(model_name, self._info.model_data.tokenizer_id)

    def get_console_url(self) -> str:
        return f"{CONSOLE_URL}/training_runs/{self.model_id}"

    def get_telemetry(self) -> None:
        """No telemetry is collected by this client."""
        return None

    # ------------------------------------------------------------------ machinery

    @property
    def _client(self) -> AsyncTinker:
        return self._session.client

    def _one(
        self, what: str, request_type: str, result: type[T], send: Callable[[int, RequestOptions], Awaitable[Any]]
    ) -> ClientFuture[T]:
        """One numbered request: its seq_id now, sent in turn, polled for `result`."""
        self._session.check()
        (number,) = self._turns.reserve(1)
        queue = QueueState(f"{self.model_id} {what}")
        waits = self._session.waits(f"{what} of {self.model_id}")
        coro = run_request(
            self._session.client, lambda options: send(number + 1, options), result, request_type,
            queue, waits, self._turns.turn(number),
        )
        return self._session.loop.submit(coro, queue)

    def _fwdbwd(
        self,
        data: Sequence[Datum],
        loss_fn: str,
        config: Mapping[str, float | str] | None,
        *,
        forward_only: bool,
        numbers: range | None = None,
    ) -> ClientFuture[ForwardBackwardOutput]:
        """Split, number (or use the `numbers` reserved earlier), send in turn, combine."""
        from .types import ForwardBackwardInput, ForwardBackwardOutput

        self._session.check()
        session = self._session
        chunks = split_batch(
            list(data),
            session.setting("fwdbwd_max_chunk_len", MAX_CHUNK_LEN),
            session.setting("fwdbwd_max_chunk_bytes_count", MAX_CHUNK_BYTES),
        )
        if not chunks:
            raise ValueError("no data: pass at least one Datum")
        inputs = [ForwardBackwardInput.model_validate({"data": c, "loss_fn": loss_fn, "loss_fn_config": config}) for c in chunks]
        if numbers is None:
            numbers = self._turns.reserve(len(inputs))
        elif len(numbers) != len(inputs):
            raise ValueError("the batch split differently from the one its seq_ids were reserved for")
        what = "forward" if forward_only else "forward_backward"
        queue = QueueState(f"{self.model_id} {what}")
        waits = self._session.waits(f"{what} of {self.model_id}")
        training = self._client.training

        def sender(number: int, batch: ForwardBackwardInput) -> Callable[[RequestOptions], Awaitable[Any]]:
            if forward_only:
                return lambda o: training.forward(forward_input=batch, model_id=self.model_id, seq_id=number + 1, options=o)
            return lambda o: training.forward_backward(
                forward_backward_input=batch, model_id=self.model_id, seq_id=number + 1, options=o
            )

        async def run() -> ForwardBackwardOutput:
            parts = [
                run_request(
                    self._session.client, sender(n, batch), ForwardBackwardOutput,
                    "Forward" if forward_only else "ForwardBackward", queue, waits, self._turns.turn(n),
                )
                for n, batch in zip(numbers, inputs, strict=True)
            ]
            return combine_outputs(await asyncio.gather(*parts))

        return self._session.loop.submit(run(), queue)

    def _load(self, path: str, token: str | None, *, optimizer: bool) -> ClientFuture[LoadWeightsResponse]:
        from .types import LoadWeightsResponse

        def send(seq_id: int, options: RequestOptions) -> Awaitable[Any]:
            return self._client.weights.load(
                path=path, model_id=self.model_id, seq_id=seq_id, optimizer=optimizer,
                weights_access_token=token, options=options,
            )

        return self._one("load_state", "LoadWeights", LoadWeightsResponse, send)

    def _save_for_sampler(
        self, name: str | None, ttl_seconds: int | None, user_metadata: dict[str, str] | None, kind: str
    ) -> ClientFuture[Any]:
        from .types import SaveWeightsForSamplerResponseInternal

        session = self._session

        extra: dict[str, Any] = {"path": name} if name is not None else {}

        def send(seq_id: int, options: RequestOptions) -> Awaitable[Any]:
            if name is None and not extra:  # numbered when first sent, in turn, as the SDK does
                extra.update(sampling_session_seq_id=session.next_sampling_seq_id(), kind=kind)
            return self._client.weights.save_for_sampler(
                model_id=self.model_id, seq_id=seq_id, ttl_seconds=ttl_seconds,
                user_metadata=user_metadata, options=options, **extra,
            )

        return self._one("save_weights_for_sampler", "SaveWeightsForSampler", SaveWeightsForSamplerResponseInternal, send)
