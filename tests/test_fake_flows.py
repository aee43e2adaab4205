"""tinker_client.testing, stateful: the training and sampling flow through `Tinker` and
`AsyncTinker`, seq_id ordering, futures (try_again rounds, queue states, failures, expiry),
sessions (heartbeats, expiry) and checkpoints (save, list, publish, TTL, delete, load)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from tinker_client import (
    APIStatusError,
    AsyncTinker,
    FutureExpiredError,
    NotFoundError,
    RequestFailedError,
    Tinker,
    types,
)
from tinker_client.testing import FakeTinker
from tinker_client.testing._compute import logprob

BASE = "Qwen/Qwen3-8B"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def datum(tokens: list[int], targets: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput(chunks=[types.EncodedTextChunk(tokens=tokens)]),
        loss_fn_inputs={"target_tokens": types.TensorData(data=targets, dtype="int64")},
    )


def prompt(tokens: list[int]) -> types.ModelInput:
    return types.ModelInput(chunks=[types.EncodedTextChunk(tokens=tokens)])


BATCH = types.ForwardBackwardInput(
    data=[datum([1, 2, 3], [2, 3, 4]), datum([5, 6], [6, 7])], loss_fn="cross_entropy"
)


def start(client: Tinker) -> tuple[str, str]:
    session = client.service.create_session(tags=["test"], sdk_version="0.1").session_id
    model = client.models.create(
        session_id=session, model_seq_id=0, base_model=BASE, lora_config=types.LoraConfig(rank=16)
    )
    return session, model.result().model_id


def test_training_loop_then_sampling_sync() -> None:
    fake = FakeTinker(try_again_rounds=2, queue_states=("paused_rate_limit", "active"))
    with fake.client() as client:
        session, model = start(client)
        assert model == f"{session}:train:0"
        first = client.training.forward_backward(
            forward_backward_input=BATCH, model_id=model, seq_id=1
        ).result()
        step = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams()).result()
        second = client.training.forward_backward(
            forward_backward_input=BATCH, model_id=model, seq_id=3
        ).result()
        saved = client.weights.save_for_sampler(model_id=model, seq_id=4, path="final").result()
        sampler = client.service.create_sampling_session(
            session_id=session, sampling_session_seq_id=0, model_path=saved.path
        ).sampling_session_id
        future = client.sampling.asample(
            sampling_session_id=sampler,
            seq_id=0,
            num_samples=3,
            prompt=prompt([1, 2, 3]),
            sampling_params=types.SamplingParams(max_tokens=5),
        )
        sample = future.result()
    assert [len(o["logprobs"].data) for o in first.loss_fn_outputs] == [3, 2]
    assert first.loss_fn_outputs[0]["logprobs"].data[0] == logprob(2, 0, 0)
    assert second.metrics is not None and first.metrics is not None
    assert second.metrics["loss:sum"] < first.metrics["loss:sum"]  # the step "trained" the model
    assert step.metrics == {"step": 1.0, "learning_rate": 0.0001, "applied_gradients": 1.0}
    assert saved.path == f"tinker://{model}/sampler_weights/final"
    assert sampler == f"{session}:sample:0"
    assert future.initial.sample_sequence_ids == [f"{future.request_id}:{i}" for i in range(3)]
    assert [len(s.tokens) for s in sample.sequences] == [5, 5, 5]
    assert all(s.stop_reason == "length" and len(s.logprobs or []) == 5 for s in sample.sequences)
    assert len({tuple(s.tokens) for s in sample.sequences}) == 3
    assert fake.applied_to(model) == [
        "training.forward_backward",
        "training.optim_step",
        "training.forward_backward",
        "weights.save_for_sampler",
    ]
    polls = [s for s in fake.requests if s.operation == "futures.retrieve"]
    assert len(polls) == 6 * 3  # six futures, each two try_again rounds then the result


def test_training_loop_then_sampling_async() -> None:
    fake = FakeTinker(try_again_rounds=1)

    async def run() -> tuple[Any, Any, str]:
        async with fake.async_client() as client:
            assert isinstance(client, AsyncTinker)
            session = (await client.service.create_session(tags=[], sdk_version="0.1")).session_id
            model = (
                await (await client.models.create(session_id=session, model_seq_id=0, base_model=BASE))
            ).model_id
            fb = await client.training.forward_backward(
                forward_backward_input=BATCH, model_id=model, seq_id=1
            )
            step = await client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
            await step
            saved = await client.weights.save_for_sampler(model_id=model, seq_id=3, sampling_session_seq_id=0)
            sampler = (await saved).sampling_session_id
            assert sampler is not None
            sample = await client.sampling.asample(
                sampling_session_id=sampler,
                seq_id=0,
                prompt=prompt([4, 5]),
                prompt_logprobs=True,
                sampling_params=types.SamplingParams(max_tokens=6, stop=[7]),
            )
            return await fb, await sample, model

    output, sample, model = asyncio.run(run())
    assert len(output.loss_fn_outputs) == 2
    sequence = sample.sequences[0]
    assert sequence.stop_reason == "stop" and sequence.tokens[-1] == 7 and len(sequence.tokens) == 4
    assert sample.prompt_logprobs is not None and sample.prompt_logprobs[0] is None
    assert len(sample.prompt_logprobs) == 2
    assert fake.applied_to(model) == [
        "training.forward_backward",
        "training.optim_step",
        "weights.save_for_sampler",
    ]


def test_pipelined_requests_apply_in_seq_id_order() -> None:
    fake = FakeTinker()
    with fake.client() as client:
        _, model = start(client)
        step = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        waiting = client.futures.retrieve(request_id=step.request_id).root
        assert isinstance(waiting, types.TryAgainResponse)
        assert waiting.queue_state_reason == "waiting for seq_id 1"
        assert fake.applied_to(model) == []
        backward = client.training.forward_backward(forward_backward_input=BATCH, model_id=model, seq_id=1)
        assert fake.applied_to(model) == ["training.forward_backward", "training.optim_step"]
        assert step.result().metrics == {"step": 1.0, "learning_rate": 0.0001, "applied_gradients": 1.0}
        backward.result()
    order = [(a.operation, a.seq_id) for a in fake.applied if a.model_id == model]
    assert order == [("training.forward_backward", 1), ("training.optim_step", 2)]


def test_try_again_rounds_report_queue_states() -> None:
    fake = FakeTinker(try_again_rounds=3, queue_states=("paused_rate_limit", "paused_capacity", "active"))
    with fake.client() as client:
        _, model = start(client)
        step = client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams())
        answers = [client.futures.retrieve(request_id=step.request_id).root for _ in range(4)]
    states = [a.queue_state for a in answers[:3] if isinstance(a, types.TryAgainResponse)]
    assert states == ["paused_rate_limit", "paused_capacity", "active"]
    assert (
        isinstance(answers[0], types.TryAgainResponse)
        and answers[0].queue_state_reason == "paused rate limit"
    )
    assert isinstance(answers[3], types.OptimStepResponse)


def test_per_operation_rounds_and_metadata_only_answers() -> None:
    fake = FakeTinker(metadata_threshold=10)
    fake.set_try_again(1, "training.optim_step")
    with fake.client() as client:
        _, model = start(client)
        step = client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams())
        first = client.futures.retrieve(request_id=step.request_id, allow_metadata_only=True).root
        meta = client.futures.retrieve(request_id=step.request_id, allow_metadata_only=True).root
        full = client.futures.retrieve(request_id=step.request_id).root
    assert isinstance(first, types.TryAgainResponse)
    assert isinstance(meta, types.FutureMetadataResponse) and meta.response_payload_size > 10
    assert isinstance(full, types.OptimStepResponse)


def test_injected_future_failures_and_expiry() -> None:
    fake = FakeTinker()
    fake.fail_futures("training.forward_backward", "out of memory", category="server")
    with fake.client() as client:
        _, model = start(client)
        with pytest.raises(RequestFailedError, match="out of memory"):
            client.training.forward_backward(forward_backward_input=BATCH, model_id=model, seq_id=1).result()
        step = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        fake.expire_future(step.request_id)
        with pytest.raises(FutureExpiredError):
            step.result()
        again = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        assert again.result().metrics is not None
    assert fake.applied_to(model) == ["training.optim_step"]  # the failed pass changed nothing


def test_heartbeats_are_tracked_and_a_silent_session_expires() -> None:
    clock = Clock()
    fake = FakeTinker(session_timeout=60, clock=clock)
    with fake.client() as client:
        session, _ = start(client)
        for _ in range(3):
            clock.now += 10
            client.service.session_heartbeat(session_id=session)
        assert fake.sessions[session].heartbeats == [clock.now - 20, clock.now - 10, clock.now]
        clock.now += 61
        with pytest.raises(APIStatusError) as ended:
            client.service.session_heartbeat(session_id=session)
        with pytest.raises(APIStatusError):
            client.models.create(session_id=session, model_seq_id=1, base_model=BASE)
        assert client.sessions.get(session).training_run_ids == [f"{session}:train:0"]
    assert ended.value.status_code == 410 and "expired" in str(ended.value)
    assert fake.sessions[session].expired


def test_session_finish_records_the_first_reason() -> None:
    fake = FakeTinker()
    if "sessions.finish" not in fake.operations:
        pytest.skip("the spec has no sessions.finish")
    with fake.client() as client:
        session, _ = start(client)
        finish = fake.operations["sessions.finish"].endpoint
        body = {"reason": {"type": "success"}, "detail": "done"}
        client.request(finish, {"session_id": session, **body}, None)
        client.request(finish, {"session_id": session, "reason": {"type": "errored"}}, None)
        with pytest.raises(APIStatusError) as ended:
            client.service.session_heartbeat(session_id=session)
    record = fake.sessions[session].finish_reason
    assert record is not None and record["reason"] == {"type": "success"}
    assert ended.value.status_code == 410


def test_checkpoint_lifecycle() -> None:
    clock = Clock()
    fake = FakeTinker(clock=clock)
    with fake.client() as client:
        session, model = start(client)
        client.training.forward_backward(forward_backward_input=BATCH, model_id=model, seq_id=1).result()
        client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams()).result()
        kept = client.weights.save(model_id=model, seq_id=3, path="kept").result().path
        clock.now += 1
        brief = client.weights.save(model_id=model, seq_id=4, path="brief", ttl_seconds=3600).result().path
        listed = client.weights.list(model).checkpoints
        assert [c.tinker_path for c in listed] == [kept, brief]
        assert listed[1].expires_at is not None and listed[0].expires_at is None
        newest = client.checkpoints.list().checkpoints
        assert [c.checkpoint_id for c in newest] == ["weights/brief", "weights/kept"]
        client.checkpoints.publish(model, "weights/kept")
        assert [c.public for c in client.weights.list(model).checkpoints] == [True, False]
        client.checkpoints.unpublish(model, "weights/kept")
        client.checkpoints.set_ttl(model, "weights/kept", ttl_seconds=7200)
        client.checkpoints.set_ttl(model, "weights/kept", ttl_seconds=None)
        clock.now += 3600
        assert [c.tinker_path for c in client.weights.list(model).checkpoints] == [kept]
        info = client.checkpoints.get_weights_info(tinker_path=kept)
        assert (info.base_model, info.is_lora, info.lora_rank) == (BASE, True, 16)
        run = client.training_runs.get(model)
        assert run.last_checkpoint is not None and run.last_checkpoint.tinker_path == kept
        failed = client.weights.save(model_id=model, seq_id=5, path="kept")
        with pytest.raises(RequestFailedError, match="already exists"):
            failed.result()
        loaded = client.weights.load(session_id=session, model_seq_id=1, path=kept).result()
        assert loaded.model_id == f"{session}:train:1" and fake.models[f"{session}:train:1"].step == 1
        client.weights.delete_checkpoint(model, "weights/kept")
        with pytest.raises(NotFoundError):
            client.weights.delete_checkpoint(model, "weights/kept")
        missing = client.weights.load(model_id=model, seq_id=6, path=kept)
        poll = client.with_raw_response.futures.retrieve(request_id=missing.request_id)
    assert poll.http_response.json() == {"error": f"checkpoint {kept} not found", "category": "user"}


def test_samplers_sessions_and_runs_are_listed() -> None:
    fake = FakeTinker()
    with fake.client() as client:
        session, model = start(client)
        sampler = client.service.create_sampling_session(
            session_id=session, sampling_session_seq_id=0, base_model=BASE
        ).sampling_session_id
        assert client.samplers.get(sampler).base_model == BASE
        assert client.sessions.get(session).sampler_ids == [sampler]
        assert client.sessions.list().sessions == [session]
        runs = client.training_runs.list()
        assert [r.training_run_id for r in runs.training_runs] == [model]
        assert runs.cursor.total_count == 1
        info = client.models.get_info(model_id=model)
        assert info.model_data.tokenizer_id == BASE and info.lora_rank == 16
        capabilities = client.service.get_server_capabilities()
        assert BASE in [m.model_name for m in capabilities.supported_models]


@pytest.mark.parametrize("order", list(itertools.permutations(range(1, 5))))
def test_any_submission_order_applies_in_seq_id_order(order: tuple[int, ...]) -> None:
    fake = FakeTinker()
    kinds = {1: "forward_backward", 2: "optim_step", 3: "forward_backward", 4: "optim_step"}
    with fake.client() as client:
        _, model = start(client)
        futures = {}
        for seq in order:
            if kinds[seq] == "optim_step":
                futures[seq] = client.training.optim_step(
                    model_id=model, seq_id=seq, adam_params=types.AdamParams()
                )
            else:
                futures[seq] = client.training.forward_backward(
                    forward_backward_input=BATCH, model_id=model, seq_id=seq
                )
        steps = [futures[seq].result() for seq in (2, 4)]
    assert [(a.seq_id, a.operation) for a in fake.applied if a.model_id == model] == [
        (seq, f"training.{kinds[seq]}") for seq in (1, 2, 3, 4)
    ]
    assert [s.metrics for s in steps] == [
        {"step": float(n), "learning_rate": 0.0001, "applied_gradients": 1.0} for n in (1, 2)
    ]


def test_a_request_expired_while_waiting_is_replaced_by_its_resubmission() -> None:
    fake = FakeTinker()
    with fake.client() as client:
        _, model = start(client)
        first = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        fake.expire_future(first.request_id)
        again = client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams())
        client.training.forward_backward(forward_backward_input=BATCH, model_id=model, seq_id=1).result()
        assert again.result().metrics == {"step": 1.0, "learning_rate": 0.0001, "applied_gradients": 1.0}
        with pytest.raises(FutureExpiredError):
            first.result()
    assert fake.applied_to(model) == ["training.forward_backward", "training.optim_step"]


def test_sparse_targets_are_densified() -> None:
    from tinker_client.testing._compute import forward_output

    sparse = {
        "data": [5, 6],
        "dtype": "int64",
        "shape": [2, 2],
        "sparse_crow_indices": [0, 1, 2],
        "sparse_col_indices": [1, 0],
    }
    output = forward_output([{"loss_fn_inputs": {"target_tokens": sparse}}], "cross_entropy", 0)
    logprobs = output["loss_fn_outputs"][0]["logprobs"]["data"]
    assert logprobs == [logprob(0, 0, 0), logprob(5, 1, 0), logprob(6, 2, 0), logprob(0, 3, 0)]
