"""`ServiceClient`: the entry point of training and sampling, one Tinker session per client.

The same public methods, parameters and defaults as the official SDK's ServiceClient.
The session is created on first use with this package's version as `sdk_version`, kept
alive by a heartbeat every 10 s on the client's background thread, and finished (with a
reason) by `close()`, by leaving a `with` block, or at interpreter exit.
"""

from __future__ import annotations

import concurrent.futures
import os
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ._errors import TinkerError
from ._workflow_loop import ClientFuture, QueueState
from ._workflow_session import FinishStatus, Session
from ._workflow_wait import WaitPolicy, call_with_waits, run_request

if TYPE_CHECKING:
    from ._sampling import SamplingClient
    from ._training import TrainingClient
    from .rest_client import RestClient
    from .types import GetServerCapabilitiesResponse, LoraConfig, OptimizerConfig

__all__ = ["ServiceClient"]

CONSOLE_URL = "https://tinker.thinkingmachines.ai"


class ServiceClient:
    """Creates training and sampling clients within one session.

    ```python
    with ServiceClient() as service_client:
        training_client = service_client.create_lora_training_client(base_model="Qwen/Qwen3-8B").result()
    ```

    Arguments as the official SDK's (user_metadata, project_id, display_name, base_url,
    api_key, default_headers_overrides), plus, keyword-only: `http_client` (an
    `httpx.AsyncClient`, e.g. over a test transport) and `wait_policy` (`WaitPolicy`: the
    deadline of waits, the heartbeat interval).
    """

    def __init__(
        self,
        user_metadata: dict[str, str] | None = None,
        project_id: str | None = None,
        *,
        display_name: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        default_headers_overrides: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        wait_policy: WaitPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            warnings.warn(f"ServiceClient ignores unknown arguments: {', '.join(sorted(kwargs))}", stacklevel=2)
        self._settings: dict[str, Any] = {"api_key": api_key, "base_url": base_url}
        if default_headers_overrides:
            self._settings["default_headers"] = dict(default_headers_overrides)
        self._session = Session(
            api_key=api_key,
            base_url=base_url,
            default_headers=default_headers_overrides,
            http_client=http_client,
            policy=wait_policy or WaitPolicy(),
            user_metadata=user_metadata,
            project_id=project_id or os.environ.get("TINKER_PROJECT_ID") or None,
            display_name=display_name,
        )

    def __repr__(self) -> str:
        return f"ServiceClient(session_id={self._session.session_id!r})"

    @property
    def session_id(self) -> str:
        """The session's id (created now if it was not yet)."""
        return self._session.loop.run(self._session.ensure())

    # ------------------------------------------------------------------ training clients

    def create_lora_training_client(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> ClientFuture[TrainingClient]:
        """A new LoRA model of `base_model`; the future resolves to its TrainingClient."""
        from .types import LoraConfig

        lora = LoraConfig(rank=rank, seed=seed, train_mlp=train_mlp, train_attn=train_attn, train_unembed=train_unembed)
        queue = QueueState(f"creating a LoRA model of {base_model}")
        return self._session.loop.submit(self._create_model(base_model, lora, user_metadata, optimizer, queue), queue)

    async def create_lora_training_client_async(
        self,
        base_model: str,
        rank: int = 32,
        seed: int | None = None,
        train_mlp: bool = True,
        train_attn: bool = True,
        train_unembed: bool = True,
        user_metadata: dict[str, str] | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> TrainingClient:
        return await self.create_lora_training_client(
            base_model, rank, seed, train_mlp, train_attn, train_unembed, user_metadata, optimizer
        )

    def create_training_client_from_state(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> ClientFuture[TrainingClient]:
        """A new model loaded from the weights (not the optimizer state) at `path`."""
        coro = self._load_model(path, False, optimizer, base_model, user_metadata, weights_access_token)
        return self._session.loop.submit(coro)

    async def create_training_client_from_state_async(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
        optimizer: OptimizerConfig | None = None,
    ) -> TrainingClient:
        return await self.create_training_client_from_state(
            path, base_model, user_metadata, weights_access_token, optimizer
        )

    def create_training_client_from_state_with_optimizer(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
    ) -> ClientFuture[TrainingClient]:
        """A new model loaded from the weights and the optimizer state at `path`."""
        coro = self._load_model(path, True, None, base_model, user_metadata, weights_access_token)
        return self._session.loop.submit(coro)

    async def create_training_client_from_state_with_optimizer_async(
        self,
        path: str,
        base_model: str | None = None,
        user_metadata: dict[str, str] | None = None,
        weights_access_token: str | None = None,
    ) -> TrainingClient:
        return await self.create_training_client_from_state_with_optimizer(
            path, base_model, user_metadata, weights_access_token
        )

    # ------------------------------------------------------------------ sampling, REST, server

    def create_sampling_client(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: Any = None,
        record_stability_info: bool = False,
    ) -> ClientFuture[SamplingClient]:
        """A SamplingClient of a sampler checkpoint (`model_path`) or a base model."""
        from ._sampling import open_sampling_client

        coro = open_sampling_client(self._session, model_path, base_model, record_stability_info)
        return self._session.loop.submit(coro)

    async def create_sampling_client_async(
        self,
        model_path: str | None = None,
        base_model: str | None = None,
        retry_config: Any = None,
        record_stability_info: bool = False,
    ) -> SamplingClient:
        return await self.create_sampling_client(model_path, base_model, retry_config, record_stability_info)

    def create_rest_client(self) -> RestClient:
        """A RestClient with this client's settings (it needs no session)."""
        from .rest_client import RestClient

        return RestClient(**self._settings)

    def get_server_capabilities(self) -> GetServerCapabilitiesResponse:
        """The models the service offers, and their limits."""
        return self._session.loop.run(self._session.client.service.get_server_capabilities())

    async def get_server_capabilities_async(self) -> GetServerCapabilitiesResponse:
        return await self._session.loop.submit(self._session.client.service.get_server_capabilities())

    def copy_weights(
        self, path: str, *, ttl_seconds: int | None = None, weights_access_token: str | None = None
    ) -> ClientFuture[str]:
        """Copy weights into this client's project (needs the spec's `weights.copy`)."""
        copy = getattr(self._session.client.weights, "copy", None)
        if copy is None:
            raise TinkerError("copy_weights needs the weights.copy operation in the spec")

        project_id = self._session.project_id

        async def ask(options: Any) -> Any:
            return await copy(
                source_path=path, destination_project_id=project_id, ttl_seconds=ttl_seconds,
                x_tinker_weights_access_token=weights_access_token, options=options,
            )

        async def run() -> str:
            answer = await call_with_waits(ask, self._session.waits(f"copy_weights {path}"))
            return str(answer.tinker_path)

        return self._session.loop.submit(run())

    def create_custom_loss(self, fn: Any, input_ranks: Mapping[str, Any]) -> ClientFuture[Any]:
        """Server-side custom losses are not supported by this client yet."""
        raise TinkerError("create_custom_loss is not supported by tinker_client; use forward_backward_custom")

    def get_console_url(self) -> str:
        return f"{CONSOLE_URL}/sessions/{self.session_id}"

    def get_telemetry(self) -> None:
        """No telemetry is collected by this client."""
        return None

    # ------------------------------------------------------------------ lifecycle

    def close(self, status: FinishStatus = "success", detail: str | None = None) -> ClientFuture[None]:
        """Finish the session (`status`: success, errored or interrupted) and release everything.

        Returns a future that is already done, as the SDK's `close()` returns a future.
        """
        self._session.close(status, detail)
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return ClientFuture(done)

    def __enter__(self) -> ServiceClient:
        self._session.check()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close("success")
        elif issubclass(exc_type, Exception):
            self.close("errored", f"{exc_type.__name__}: {exc_value}"[:500])
        else:
            self.close("interrupted", exc_type.__name__)

    # ------------------------------------------------------------------ machinery

    async def _create_model(
        self,
        base_model: str,
        lora: LoraConfig,
        user_metadata: dict[str, str] | None,
        optimizer: OptimizerConfig | None,
        queue: QueueState,
    ) -> TrainingClient:
        from .types import CreateModelResponse

        session_id = await self._session.ensure()
        model_seq_id = self._session.next_model_seq_id()
        models = self._session.client.models

        def send(options: Any) -> Any:
            return models.create(
                session_id=session_id, model_seq_id=model_seq_id, base_model=base_model,
                user_metadata=user_metadata, lora_config=lora, optimizer_config=optimizer, options=options,
            )

        waits = self._session.waits(f"create_model {base_model}")
        created = await run_request(self._session.client, send, CreateModelResponse, "CreateModel", queue, waits)
        return await self._training_client(model_seq_id, created.model_id)

    async def _load_model(
        self,
        path: str,
        with_optimizer: bool,
        optimizer: OptimizerConfig | None,
        base_model: str | None,
        user_metadata: dict[str, str] | None,
        token: str | None,
    ) -> TrainingClient:
        from .types import LoadWeightsResponse

        session_id = await self._session.ensure()
        model_seq_id = self._session.next_model_seq_id()
        weights = self._session.client.weights

        def send(options: Any) -> Any:
            return weights.load(
                path=path, session_id=session_id, model_seq_id=model_seq_id, base_model=base_model,
                user_metadata=user_metadata, optimizer=with_optimizer, optimizer_config=optimizer,
                weights_access_token=token, options=options,
            )

        queue = QueueState(f"loading {path}")
        waits = self._session.waits(f"load_weights {path}")
        loaded = await run_request(self._session.client, send, LoadWeightsResponse, "LoadWeights", queue, waits)
        return await self._training_client(model_seq_id, loaded.model_id or f"{session_id}:train:{model_seq_id}")

    async def _training_client(self, model_seq_id: int, model_id: str) -> TrainingClient:
        from ._training import TrainingClient

        models = self._session.client.models
        info = await call_with_waits(
            lambda options: models.get_info(model_id=model_id, options=options), self._session.waits("get_info")
        )
        return TrainingClient(self._session, model_seq_id, model_id, info=info)
