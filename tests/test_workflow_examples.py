"""The examples/ scripts run against the fake Tinker server, as the README says to run them."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from tinker_client import ServiceClient, WaitPolicy
from tinker_client.testing import FakeTinker

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("script", "expected"), [("supervised_minimal.py", "sampled: ["), ("sampling.py", "6 samples from async code")]
)
def test_example_runs_against_the_fake_by_default(script: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TINKER_API_KEY"}
    env["PYTHONPATH"] = str(ROOT / "generated")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_the_training_loop_is_applied_in_order_by_the_fake() -> None:
    fake = FakeTinker()
    http = httpx.AsyncClient(transport=fake.transport)
    policy = WaitPolicy(heartbeat_interval=0.05)
    with ServiceClient(base_url=fake.base_url, api_key="k", http_client=http, wait_policy=policy) as service:
        tokens = load("supervised_minimal").train(service, steps=2)
        model_id = service._session.session_id + ":train:0"
    assert len(tokens) == 8
    applied = [(a.operation, a.seq_id) for a in fake.applied if a.model_id == model_id and a.seq_id is not None]
    assert applied == [
        ("training.forward_backward", 1), ("training.optim_step", 2), ("training.forward_backward", 3),
        ("training.optim_step", 4), ("weights.save_for_sampler", 5),
    ]  # fmt: skip


def test_the_readme_training_loop_runs_against_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Training and sampling") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    assert len([line for line in code.splitlines() if line.strip()]) == 15
    fake = FakeTinker()
    with fake.serve() as url:
        monkeypatch.setenv("TINKER_BASE_URL", url)
        monkeypatch.setenv("TINKER_API_KEY", "fake-key")
        namespace: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), namespace)
    assert [a.operation for a in fake.applied if a.seq_id is not None][:2] == [
        "training.forward_backward",
        "training.optim_step",
    ]


def test_a_session_the_fake_expired_is_a_typed_error_on_the_next_call() -> None:
    from tinker_client import SessionEndedError, types

    fake = FakeTinker()
    http = httpx.AsyncClient(transport=fake.transport)
    with ServiceClient(base_url=fake.base_url, api_key="k", http_client=http) as service:
        training_client = service.create_lora_training_client("Qwen/Qwen3-8B").result()
        fake.expire_session(service.session_id)
        datum = types.Datum(model_input=types.ModelInput.from_ints([1]), loss_fn_inputs={"target_tokens": [2]})
        with pytest.raises(SessionEndedError, match="HTTP 410"):
            training_client.forward_backward([datum], "cross_entropy").result(timeout=10)
        with pytest.raises(SessionEndedError):  # and at once on the call after it
            training_client.optim_step(types.AdamParams())
