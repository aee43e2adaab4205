"""Per call: 2,000 calls of samplers.get (GET) and weights.save (POST with a body), sync and
async, on httpx.MockTransport, against the same requests built by hand with httpx, a JSON
parse and `model_validate` of the same response models.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

import httpx
from harness import ROOT, alternate, table

sys.path.insert(0, str(ROOT / "generated"))
import tinker_client
from tinker_client import types

CALLS = 2000
ROUNDS = 10
PER_SAMPLE = CALLS // ROUNDS
BASE = "https://tinker.example/services/tinker-prod"
SAMPLER = b'{"sampler_id": "s:sample:0", "base_model": "Qwen/Qwen3-8B", "model_path": null}'
FUTURE = b'{"request_id": "req-1", "model_id": "run-1"}'


def handler(request: httpx.Request) -> httpx.Response:
    body = SAMPLER if request.method == "GET" else FUTURE
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def sync_contenders() -> dict[str, Callable[[], float]]:
    client = tinker_client.Tinker(
        api_key="tml-x", base_url=BASE, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    raw = httpx.Client(transport=httpx.MockTransport(handler))
    headers = {"X-API-Key": "tml-x", "Accept": "application/json"}

    def by_hand_get() -> None:
        response = raw.get(f"{BASE}/api/v1/samplers/s:sample:0", headers=headers)
        types.GetSamplerResponse.model_validate(response.json())

    def by_hand_post() -> None:
        body = {"model_id": "run-1", "path": "step-1", "overwrite": False, "type": "save_weights"}
        response = raw.post(f"{BASE}/api/v1/save_weights", json=body, headers=headers)
        types.UntypedAPIFuture.model_validate(response.json())

    return {
        "httpx by hand: GET": repeat(by_hand_get),
        "tinker_client: samplers.get": repeat(lambda: client.samplers.get("s:sample:0")),
        "httpx by hand: POST": repeat(by_hand_post),
        "tinker_client: weights.save": repeat(lambda: client.weights.save(model_id="run-1", path="step-1")),
    }


def async_contenders(loop: asyncio.AbstractEventLoop) -> dict[str, Callable[[], float]]:
    client = tinker_client.AsyncTinker(
        api_key="tml-x", base_url=BASE, http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    raw = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    headers = {"X-API-Key": "tml-x", "Accept": "application/json"}

    async def by_hand_get() -> None:
        response = await raw.get(f"{BASE}/api/v1/samplers/s:sample:0", headers=headers)
        types.GetSamplerResponse.model_validate(response.json())

    async def by_hand_post() -> None:
        body = {"model_id": "run-1", "path": "step-1", "overwrite": False, "type": "save_weights"}
        response = await raw.post(f"{BASE}/api/v1/save_weights", json=body, headers=headers)
        types.UntypedAPIFuture.model_validate(response.json())

    def repeat_async(call: Callable[[], object]) -> Callable[[], float]:
        async def many() -> None:
            for _ in range(PER_SAMPLE):
                await call()  # type: ignore[misc]

        def run() -> float:
            start = time.perf_counter()
            loop.run_until_complete(many())
            return (time.perf_counter() - start) / PER_SAMPLE

        return run

    return {
        "httpx by hand: GET (async)": repeat_async(by_hand_get),
        "tinker_client: samplers.get (async)": repeat_async(lambda: client.samplers.get("s:sample:0")),
        "httpx by hand: POST (async)": repeat_async(by_hand_post),
        "tinker_client: weights.save (async)": repeat_async(
            lambda: client.weights.save(model_id="run-1", path="step-1")
        ),
    }


def repeat(call: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        for _ in range(PER_SAMPLE):
            call()
        return (time.perf_counter() - start) / PER_SAMPLE

    return run


def main() -> None:
    met = True
    sync = alternate(sync_contenders(), ROUNDS)
    met &= table(
        "Per call, sync: GET samplers.get",
        pick(sync, "GET", "samplers"),
        "httpx by hand: GET",
        1.15,
        1e6,
        "µs",
        ["tinker_client: samplers.get"],
    )
    met &= table(
        "Per call, sync: POST weights.save",
        pick(sync, "POST", "weights"),
        "httpx by hand: POST",
        1.15,
        1e6,
        "µs",
        ["tinker_client: weights.save"],
    )
    loop = asyncio.new_event_loop()
    asynchronous = alternate(async_contenders(loop), ROUNDS)
    met &= table(
        "Per call, async: GET samplers.get",
        pick(asynchronous, "GET", "samplers"),
        "httpx by hand: GET (async)",
        1.15,
        1e6,
        "µs",
        ["tinker_client: samplers.get (async)"],
    )
    met &= table(
        "Per call, async: POST weights.save",
        pick(asynchronous, "POST", "weights"),
        "httpx by hand: POST (async)",
        1.15,
        1e6,
        "µs",
        ["tinker_client: weights.save (async)"],
    )
    loop.close()
    print(f"\nper-call overall: {'met' if met else 'MISSED'}")


def pick(samples: dict[str, list[float]], *words: str) -> dict[str, list[float]]:
    return {name: values for name, values in samples.items() if any(word in name for word in words)}


if __name__ == "__main__":
    main()
