"""Sampling from a base model and scoring a prompt, written as a Tinker cookbook user does.

    PYTHONPATH=generated python examples/sampling.py

Runs against the fake Tinker server (`tinker_client.testing`) unless TINKER_API_KEY is set.
With `transformers` installed the prompt is tokenized by the model's tokenizer.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

from tinker_client import SamplingClient, ServiceClient, types

BASE_MODEL = "Qwen/Qwen3-8B"


def prompt_tokens(sampling_client: SamplingClient, text: str) -> list[int]:
    try:
        return list(sampling_client.get_tokenizer().encode(text))
    except ImportError:  # no transformers: stand-in token ids
        return [ord(c) % 1000 for c in text]


async def sample_many(sampling_client: SamplingClient, prompt: types.ModelInput) -> list[list[int]]:
    """Several requests in flight at once, from async code."""
    params = types.SamplingParams(max_tokens=16, temperature=0.7)
    responses = await asyncio.gather(
        *(sampling_client.sample_async(prompt, num_samples=2, sampling_params=params) for _ in range(3))
    )
    return [sequence.tokens for response in responses for sequence in response.sequences]


def run(service_client: ServiceClient) -> None:
    sampling_client = service_client.create_sampling_client(base_model=BASE_MODEL).result()
    prompt = types.ModelInput.from_ints(prompt_tokens(sampling_client, "The capital of France is"))
    response = sampling_client.sample(prompt, num_samples=1, sampling_params=types.SamplingParams(max_tokens=16))
    print(f"one sample: {response.result().sequences[0].tokens}")
    print(f"prompt logprobs: {sampling_client.compute_logprobs(prompt).result()}")
    print(f"{len(asyncio.run(sample_many(sampling_client, prompt)))} samples from async code")


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
        run(service_client)
