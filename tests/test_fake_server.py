"""tinker_client.testing over real HTTP on 127.0.0.1: from another thread, from another process,
and standalone with `python -m tinker_client.testing`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tinker_client import APITimeoutError, Tinker, types
from tinker_client.testing import FakeTinker, Fault

GENERATED = Path(__file__).resolve().parent.parent / "generated"
ENV = {**os.environ, "PYTHONPATH": str(GENERATED)}

LOOP = """
from tinker_client import Tinker, types
client = Tinker(api_key="k", base_url=URL, max_retries=0)
session = client.service.create_session(tags=[], sdk_version="0.1").session_id
model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
datum = types.Datum(
    model_input=types.ModelInput(chunks=[types.EncodedTextChunk(tokens=[1, 2])]),
    loss_fn_inputs={"target_tokens": types.TensorData(data=[2, 3], dtype="int64")},
)
batch = types.ForwardBackwardInput(data=[datum], loss_fn="cross_entropy")
out = client.training.forward_backward(forward_backward_input=batch, model_id=model, seq_id=1).result()
client.training.optim_step(model_id=model, seq_id=2, adam_params=types.AdamParams()).result()
print(model, len(out.loss_fn_outputs[0]["logprobs"].data))
client.close()
"""


def test_served_on_loopback_to_another_thread() -> None:
    fake = FakeTinker(try_again_rounds=1)
    outcome: list[str] = []
    with fake.serve() as url:
        assert url.startswith("http://127.0.0.1:")

        def work() -> None:
            with Tinker(api_key="k", base_url=url) as client:
                session = client.service.create_session(tags=[], sdk_version="0.1").session_id
                model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result()
                outcome.append(model.model_id)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=20)
    assert outcome == ["fake-session-1:train:0"]
    assert [s.operation for s in fake.requests][:2] == ["service.create_session", "models.create"]


def test_served_on_loopback_to_another_process() -> None:
    fake = FakeTinker()
    with fake.serve() as url:
        done = subprocess.run(
            [sys.executable, "-c", f"URL = {url!r}\n" + LOOP],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    model = done.stdout.split()[0]
    assert done.stdout.split()[1] == "2"
    assert fake.applied_to(model) == ["training.forward_backward", "training.optim_step"]


def test_latency_over_http_meets_the_client_timeout() -> None:
    fake = FakeTinker()
    fake.inject("service.get_server_capabilities", Fault(latency=1.0))
    with fake.serve() as url, Tinker(api_key="k", base_url=url, timeout=0.2, max_retries=0) as client:
        with pytest.raises(APITimeoutError):
            client.service.get_server_capabilities()
        assert client.service.get_server_capabilities().supported_models


def test_standalone_server_from_the_command_line() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tinker_client.testing", "--try-again-rounds", "1"],
        env=ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with Tinker(api_key="k", base_url=url, max_retries=0) as client:
            session = client.service.create_session(tags=[], sdk_version="0.1").session_id
            model = client.models.create(session_id=session, model_seq_id=0, base_model="b").result().model_id
            step = client.training.optim_step(model_id=model, seq_id=1, adam_params=types.AdamParams())
            assert step.result().metrics is not None
            assert client.sessions.get(session).training_run_ids == [model]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
