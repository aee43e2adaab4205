"""`SamplingClient`: text generation and prompt logprobs from a base model or saved weights.

The same public methods, parameters and defaults as the official SDK's SamplingClient.
Each request is numbered (`seq_id`) when it is made and sent with the
`X-Tinker-Sampling-Backpressure: 1` header; a 429 answer pauses it (logged, bounded by the
wait deadline) instead of failing.

When the service's client config says `sample_use_retrieve_futures` and at least
`MIN_PENDING` samples of this client are pending (`worth_batching`, bench/batch_poll.py), a
sample learns of its completion from the client's one `retrieve_futures` batch poll, then
fetches its payload with the usual `retrieve_future`; otherwise each sample polls on its own.
A batch poll that breaks is logged and dropped: its samples poll on their own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._batch_poll import AsyncFuturesBatcher, worth_batching
from ._errors import TinkerError
from ._workflow_loop import ClientFuture, QueueState
from ._workflow_tokenizer import load_tokenizer
from ._workflow_wait import WaitPolicy, call_with_waits, run_request

if TYPE_CHECKING:
    from ._workflow_session import Session
    from .types import ModelInput, SampleResponse, SamplingParams, TensorData

__all__ = ["SamplingClient", "open_sampling_client"]

BACKPRESSURE_HEADERS = {"X-Tinker-Sampling-Backpressure": "1"}
T = TypeVar("T")
logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)


class SamplingClient:
    """Samples from one sampling session. Get it from `ServiceClient.create_sampling_client(...)`.

    ```python
    response = sampling_client.sample(prompt, num_samples=1, sampling_params=params).result()
    print(response.sequences[0].tokens)
    ```
    """

    def __init__(
        self,
        session: Session,
        *,
        sampling_session_id: str,
        base_model: str,
        shadow: bool = False,
        retry_config: Any = None,
        record_stability_info: bool = False,
    ) -> None:
        self._session = session
        self._sampling_session_id = sampling_session_id
        self._base_model = base_model
        self._record_stability_info = record_stability_info
        self._owns_session = shadow
        self._lock = threading.Lock()
        self._next_seq_id = 0
        self._queue = QueueState(f"sampler {sampling_session_id}")
        self._seq_base: int | None = None
        self._cloned_sampler_id = 0  # the join's client_counter: names this client in batch polls
        self._join_lock: asyncio.Lock | None = None
        self._pending = 0  # samples made and not resolved yet (under _lock)
        self._batcher: AsyncFuturesBatcher | None = None  # on the session loop only

    def __repr__(self) -> str:
        return f"SamplingClient(sampling_session_id={self._sampling_session_id!r})"

    @staticmethod
    def from_sampler_handle(handle: str, *, api_key: str | None = None) -> SamplingClient:
        """A client of an existing sampling session (`get_sampler_handle()` of another client)."""
        from ._workflow_session import Session

        session = Session(
            api_key=api_key, base_url=None, default_headers=None, http_client=None, policy=WaitPolicy(),
            user_metadata=None, project_id=None, display_name=None,
        )
        return SamplingClient(session, sampling_session_id=handle, base_model="", shadow=True)

    def sample(
        self,
        prompt: ModelInput,
        num_samples: int,
        sampling_params: SamplingParams,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
        target_prompt_logprobs: TensorData | None = None,
        prompt_alt_tokens_k: int = 0,
        prompt_logprobs_last_n: int | None = None,
    ) -> ClientFuture[SampleResponse]:
        """`num_samples` completions of `prompt`; the future resolves to a SampleResponse."""
        from .types import SampleResponse

        self._session.check()
        with self._lock:
            seq_id = self._next_seq_id
            self._next_seq_id += 1
            self._pending += 1
        args: dict[str, Any] = {
            "sampling_session_id": self._sampling_session_id,
            "seq_id": seq_id,
            "num_samples": num_samples,
            "prompt": prompt,
            "sampling_params": sampling_params,
            "prompt_logprobs": include_prompt_logprobs,
            "topk_prompt_logprobs": topk_prompt_logprobs,
            "topk_sample_logprobs": topk_sample_logprobs,
            "target_prompt_logprobs": target_prompt_logprobs,
            "prompt_alt_tokens_k": prompt_alt_tokens_k,
            "prompt_logprobs_last_n": prompt_logprobs_last_n,
            "record_stability_info": self._record_stability_info,
        }
        sampling = self._session.client.sampling
        waits = self._session.waits(f"sample {seq_id} of {self._sampling_session_id}")

        async def run() -> SampleResponse:
            try:
                args["seq_id"] = await self._joined() + seq_id
                return await run_request(
                    self._session.client, lambda options: sampling.asample(options=options, **args),
                    SampleResponse, "Sample", self._queue, waits, headers=BACKPRESSURE_HEADERS,
                    through=self._wait_for,
                )
            finally:
                with self._lock:
                    self._pending -= 1

        return self._session.loop.submit(run(), self._queue)

    async def sample_async(
        self,
        prompt: ModelInput,
        num_samples: int,
        sampling_params: SamplingParams,
        include_prompt_logprobs: bool = False,
        topk_prompt_logprobs: int = 0,
        topk_sample_logprobs: int = 0,
        target_prompt_logprobs: TensorData | None = None,
        prompt_alt_tokens_k: int = 0,
        prompt_logprobs_last_n: int | None = None,
    ) -> SampleResponse:
        return await self.sample(
            prompt, num_samples, sampling_params, include_prompt_logprobs, topk_prompt_logprobs,
            topk_sample_logprobs, target_prompt_logprobs, prompt_alt_tokens_k, prompt_logprobs_last_n,
        )

    def compute_logprobs(
        self, prompt: ModelInput, prompt_logprobs_last_n: int | None = None
    ) -> ClientFuture[list[float | None]]:
        """The logprob of every prompt token (the first is None), or of the last N."""
        from .types import SamplingParams

        sampled = self.sample(
            prompt, 1, SamplingParams(max_tokens=1), include_prompt_logprobs=True,
            prompt_logprobs_last_n=prompt_logprobs_last_n,
        )

        async def logprobs() -> list[float | None]:
            return list((await sampled.result_async()).prompt_logprobs or [])

        return self._session.loop.submit(logprobs(), self._queue)

    async def compute_logprobs_async(
        self, prompt: ModelInput, prompt_logprobs_last_n: int | None = None
    ) -> list[float | None]:
        return await self.compute_logprobs(prompt, prompt_logprobs_last_n)

    async def _wait_for(self, request_id: str, poll: Callable[[], Awaitable[T]]) -> T:
        """A sample's result: through the batch poll when it pays (see the module), else `poll()`."""
        batcher = self._batch_poll()
        if batcher is None:
            return await poll()
        try:
            await batcher.wait(request_id)
        except TinkerError as exc:
            logger.warning("batch poll of %s failed (%s); its samples poll on their own", self, exc)
            if self._batcher is batcher:
                self._batcher = None
                await batcher.close()
            return await poll()
        try:
            return await poll()
        finally:
            batcher.mark_retrieved(request_id)

    def _batch_poll(self) -> AsyncFuturesBatcher | None:
        """This client's batcher, made on first use, when the server asks for it and it pays."""
        if not self._session.setting("sample_use_retrieve_futures", False):
            return None
        with self._lock:
            pending = self._pending
        if self._batcher is None and worth_batching(pending):
            self._batcher = AsyncFuturesBatcher.for_client(
                self._session.client, self._sampling_session_id, self._cloned_sampler_id
            )
            if self._close_batch_poll not in self._session.closers:
                self._session.closers.append(self._close_batch_poll)
        return self._batcher if worth_batching(pending) else None

    async def _close_batch_poll(self) -> None:
        batcher, self._batcher = self._batcher, None
        if batcher is not None:
            await batcher.close()

    async def _joined(self) -> int:
        """The base of this client's seq_ids: 0, or its block after joining the sampling session.

        The SDK joins (`join_sampling_session`) before its first sample when the service's client
        config says `sample_join_sampling_session`; so does this client, when the spec has the call.
        """
        if self._join_lock is None:
            self._join_lock = asyncio.Lock()
        async with self._join_lock:
            if self._seq_base is None:
                self._seq_base = 0
                join = getattr(self._session.client.service, "join_sampling_session", None)
                if join is not None and self._session.setting("sample_join_sampling_session", False):
                    sampling_session_id = self._sampling_session_id

                    async def ask(options: Any) -> Any:
                        return await join(sampling_session_id=sampling_session_id, options=options)

                    joined = await call_with_waits(ask, self._session.waits("join sampling session"))
                    self._cloned_sampler_id = int(joined.client_counter)
                    self._seq_base = 1_000_000_000 * self._cloned_sampler_id
        return self._seq_base

    def get_base_model(self) -> str:
        """The base model; asked of the server (`samplers.get`) when the client was made from a path."""
        if not self._base_model:
            self._base_model = self._session.loop.run(self._fetch_base_model())
        return self._base_model

    async def get_base_model_async(self) -> str:
        if not self._base_model:
            self._base_model = await self._session.loop.submit(self._fetch_base_model())
        return self._base_model

    async def _fetch_base_model(self) -> str:
        sampler = await self._session.client.samplers.get(self._sampling_session_id)
        return str(sampler.base_model)

    def get_sampler_handle(self) -> str:
        """The sampling session id: `SamplingClient.from_sampler_handle(handle)` reopens it."""
        return self._sampling_session_id

    def get_tokenizer(self) -> Any:
        """The base model's tokenizer (needs `transformers`)."""
        return load_tokenizer(self.get_base_model())

    def get_telemetry(self) -> None:
        """No telemetry is collected by this client."""
        return None

    def on_queue_state_change(self, queue_state: Any, queue_state_reason: str | None) -> None:
        """Record (and log, once per change) where this client's requests stand."""
        self._queue.update(str(getattr(queue_state, "value", queue_state)), queue_state_reason)

    def close(self) -> None:
        """Stop this client's batch poll; close the connections of one made by `from_sampler_handle`."""
        if self._owns_session:
            self._session.close()
        elif self._batcher is not None and not self._session.closed:
            self._session.loop.run(self._close_batch_poll())


async def open_sampling_client(
    session: Session, model_path: str | None, base_model: str | None, record_stability_info: bool
) -> SamplingClient:
    """Create a sampling session (of a checkpoint or a base model) and its client."""
    if model_path is not None and not model_path.startswith("tinker://"):
        raise ValueError(f"model_path must start with 'tinker://', not {model_path!r}")
    if model_path is None and base_model is None:
        raise ValueError("pass model_path or base_model")
    session_id = await session.ensure()
    seq_id = session.next_sampling_seq_id()
    service = session.client.service

    async def create(options: Any) -> Any:
        return await service.create_sampling_session(
            session_id=session_id, sampling_session_seq_id=seq_id, base_model=base_model,
            model_path=model_path, options=options,
        )

    answer = await call_with_waits(create, session.waits("create sampling session"))
    return SamplingClient(
        session, sampling_session_id=answer.sampling_session_id, base_model=base_model or "",
        record_stability_info=record_stability_info,
    )
