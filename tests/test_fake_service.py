"""tinker_client.testing with the workflow layer: `FakeTinker().service_client()` trains and
samples in process, and the fake sees the conversation in the order it was meant."""

from __future__ import annotations

import pytest
from tinker_client import types
from tinker_client.testing import FakeTinker

pytest.importorskip("tinker_client._service", reason="the package has no ServiceClient yet")


def datum(tokens: list[int]) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput(chunks=[types.EncodedTextChunk(tokens=tokens[:-1])]),
        loss_fn_inputs={"target_tokens": types.TensorData(data=tokens[1:], dtype="int64")},
    )


def test_service_client_trains_and_samples_against_the_fake() -> None:
    fake = FakeTinker(try_again_rounds=1)
    with fake.service_client() as service:
        training = service.create_lora_training_client(base_model="Qwen/Qwen3-8B", rank=8).result()
        backward = training.forward_backward([datum([1, 2, 3, 4]), datum([5, 6, 7])], "cross_entropy")
        step = training.optim_step(types.AdamParams(learning_rate=1e-4))
        output = backward.result()
        assert step.result().metrics is not None
        sampler = training.save_weights_and_get_sampling_client().result()
        prompt = types.ModelInput(chunks=[types.EncodedTextChunk(tokens=[1, 2])])
        sample = sampler.sample(prompt, 2, types.SamplingParams(max_tokens=4)).result()
    assert [len(o["logprobs"].data) for o in output.loss_fn_outputs] == [3, 2]
    assert [len(s.tokens) for s in sample.sequences] == [4, 4]
    (session,) = fake.sessions.values()
    assert session.body["sdk_version"]
    (model,) = fake.models
    training_ops = [
        (a.operation, a.seq_id) for a in fake.applied if a.model_id == model and a.seq_id is not None
    ]
    assert training_ops == [
        ("training.forward_backward", 1),
        ("training.optim_step", 2),
        ("weights.save_for_sampler", 3),
    ]
    if "sessions.finish" in fake.operations:
        assert session.finish_reason is not None
