"""Large body: encoding a forward_backward request with 1,000,000 tokens and a 1,000,000-float
TensorData, against `orjson.dumps` of the same plain dict: time (alternating, in process) and
peak memory (a fresh process per contender, growth of the peak RSS while encoding).

`pydantic_core.to_json(plain dict)` is a reference, not a contender: the fastest that
pydantic's own JSON writer (the only one the package may use) encodes these numbers.
"""

from __future__ import annotations

import gc
import random
import subprocess
import sys
from pathlib import Path

from harness import ROOT, alternate, table, timed

N = 1_000_000
ROUNDS = 7
sys.path.insert(0, str(ROOT / "generated"))


def inputs() -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
    """The same request three ways: our call's arguments (models, as a user builds them),
    our call's arguments as plain lists and dicts, and the baseline's plain dict."""
    from tinker_client import types

    tokens = list(range(N))
    weights = [random.random() for _ in range(N)]
    datum = types.Datum(
        model_input=types.ModelInput(chunks=[types.EncodedTextChunk(tokens=tokens)]),
        loss_fn_inputs={"weights": types.TensorData(data=weights, dtype="float32")},
    )
    models = {
        "forward_backward_input": types.ForwardBackwardInput(data=[datum], loss_fn="cross_entropy"),
        "model_id": "m",
        "seq_id": 1,
    }
    plain_input = {
        "data": [
            {
                "model_input": {"chunks": [{"tokens": tokens, "type": "encoded_text"}]},
                "loss_fn_inputs": {"weights": {"data": weights, "dtype": "float32"}},
            }
        ],
        "loss_fn": "cross_entropy",
    }
    plain = {"forward_backward_input": plain_input, "model_id": "m", "seq_id": 1}
    return models, dict(plain), plain


def encoders() -> dict[str, object]:
    import orjson
    import pydantic_core
    from tinker_client._endpoint import prepare
    from tinker_client.resources.training import _FORWARD_BACKWARD

    models, plain_args, plain = inputs()
    return {
        "orjson.dumps(plain dict)": lambda: orjson.dumps(plain),
        "pydantic_core.to_json (floor)": lambda: pydantic_core.to_json(plain),
        "tinker_client (models)": lambda: prepare(_FORWARD_BACKWARD, models).content,
        "tinker_client (plain lists)": lambda: prepare(_FORWARD_BACKWARD, plain_args).content,
    }


def peak_growth(name: str) -> None:
    """In a fresh process: how far the resident set peaks above its level before encoding.

    The kernel's high-water mark is reset first (/proc/self/clear_refs), so building the
    inputs does not hide the encoding's own peak.
    """
    run = encoders()[name]
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    result = run()  # type: ignore[operator]
    print((_status("VmHWM") - before) * 1024)
    del result


def _status(field: str) -> int:
    """A /proc/self/status value, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def main() -> None:
    contenders = {name: timed(run) for name, run in encoders().items()}  # type: ignore[arg-type]
    met = table(
        "Large body: time",
        alternate(contenders, ROUNDS),
        "orjson.dumps(plain dict)",
        1.5,
        judged=["tinker_client (models)"],
    )
    memory = {}
    for _ in range(3):
        for name in contenders:
            out = subprocess.run(
                [sys.executable, __file__, name], capture_output=True, text=True, check=True, cwd=ROOT
            )
            memory.setdefault(name, []).append(float(out.stdout.strip()) / 1e6)
    met &= table(
        "Large body: peak memory growth while encoding",
        memory,
        "orjson.dumps(plain dict)",
        2.0,
        scale=1.0,
        unit="MB",
        judged=["tinker_client (models)"],
    )
    print(f"\nlarge body overall: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        peak_growth(sys.argv[1])
    else:
        main()
