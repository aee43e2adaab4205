"""A minimal supervised training loop, written as a Tinker cookbook user writes one.

    PYTHONPATH=generated python examples/supervised_minimal.py

Runs against the fake Tinker server (`tinker_client.testing`) unless TINKER_API_KEY is set,
in which case it trains a real LoRA model on the Tinker service.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tinker_client import ServiceClient, types

BASE_MODEL = "Qwen/Qwen3-8B"
SEQUENCES = [[1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12, 13, 14, 15]]


def make_datum(tokens: list[int]) -> types.Datum:
    """Predict each next token: inputs are all but the last, targets all but the first."""
    return types.Datum(
        model_input=types.ModelInput.from_ints(tokens[:-1]),
        loss_fn_inputs={"target_tokens": tokens[1:], "weights": [1.0] * (len(tokens) - 1)},
    )


def train(service_client: ServiceClient, steps: int = 3) -> list[int]:
    training_client = service_client.create_lora_training_client(base_model=BASE_MODEL).result()
    data = [make_datum(tokens) for tokens in SEQUENCES]
    for step in range(steps):
        fwd_bwd = training_client.forward_backward(data, "cross_entropy")
        optim = training_client.optim_step(types.AdamParams(learning_rate=1e-4))
        print(f"step {step}: {fwd_bwd.result().metrics}")
        optim.result()
    sampling_client = training_client.save_weights_and_get_sampling_client().result()
    prompt = types.ModelInput.from_ints(SEQUENCES[0][:3])
    sample = sampling_client.sample(prompt, num_samples=1, sampling_params=types.SamplingParams(max_tokens=8))
    tokens = sample.result().sequences[0].tokens
    print(f"sampled: {tokens}")
    return tokens


@contextmanager
def service() -> Iterator[ServiceClient]:
    """The real service with TINKER_API_KEY, else the fake Tinker server."""
    if os.environ.get("TINKER_API_KEY"):
        with ServiceClient() as service_client:
            yield service_client
        return
    from tinker_client.testing import FakeTinker

    with FakeTinker().service_client() as service_client:  # in process, no network
        yield service_client


if __name__ == "__main__":
    with service() as service_client:
        train(service_client)
