"""Generation: a full regeneration of spec/tinker.yaml into a temp folder, vs openapi-python-client.

Each sample is a fresh process. `cold` runs with the cache off; `warm` with the
content-addressed cache of an earlier run; `after editing a model` changes one schema's
description before each sample, so validation, models and types.py are redone (what
`make generate` does after a typical spec edit). Then the time of each stage, in process, cold.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import BENCH_BIN, ROOT, VENV_PYTHON, alternate, process, table

ROUNDS = 5


def main() -> None:
    spec = ROOT / "spec" / "tinker.yaml"
    work = Path(tempfile.mkdtemp(prefix="bench-generation-"))
    cache_dir = work / "cache"
    ours = [str(VENV_PYTHON), "-m", "generator", "generate", "--spec", str(spec), "--out", str(work / "ours")]
    cold_env = {**os.environ, "TINKERGEN_NO_CACHE": "1"}
    warm_env = {**os.environ, "TINKERGEN_CACHE_DIR": str(cache_dir)}
    process(ours, cwd=ROOT, env=warm_env)()  # fills the cache of the warm contenders
    edits = iter(range(1_000_000))

    def after_editing(old: str, new: str) -> Callable[[], float]:
        """Before each sample the spec's `old` text becomes `new` plus a fresh number."""

        def run() -> float:
            edited = work / "edited.yaml"
            edited.write_text(spec.read_text().replace(old, f"{new} ({next(edits)})"))
            return process([*ours[:5], str(edited), *ours[6:]], cwd=ROOT, env=warm_env)()

        return run

    baseline = [
        str(BENCH_BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(spec),
        "--meta",
        "none",
        "--output-path",
        str(work / "opc"),
        "--overwrite",
    ]
    baseline_env = {**os.environ, "PATH": f"{BENCH_BIN}{os.pathsep}{os.environ['PATH']}"}  # its ruff hooks
    samples = alternate(
        {
            "openapi-python-client 0.29.1": process(baseline, cwd=work, env=baseline_env),
            "tinkergen (cold: no cache)": process(ours, cwd=ROOT, env=cold_env),
            "tinkergen (warm: cache of a prior run)": process(ours, cwd=ROOT, env=warm_env),
            "tinkergen (after editing an operation)": after_editing(
                "summary: Get a sampler's base model and checkpoint.", "summary: Get a sampler"
            ),
            "tinkergen (after editing a model)": after_editing(
                "description: The LoRA rank.", "description: The LoRA rank"
            ),
        },
        ROUNDS,
    )
    judged = [name for name in samples if name.startswith("tinkergen")]
    table("Generation (fresh process each)", samples, "openapi-python-client 0.29.1", 0.7, judged=judged)
    stages()


def stages() -> None:
    os.environ["TINKERGEN_NO_CACHE"] = "1"
    sys.path.insert(0, str(ROOT))
    from generator.pipeline import generate

    runs: list[dict[str, float]] = []
    for _ in range(3):
        timings: dict[str, float] = {}
        generate(ROOT / "spec" / "tinker.yaml", "spec/tinker.yaml", timings)
        runs.append(timings)
    print("\nStages, in process, cold (median of 3; `format` is the wait for the pool that")
    print("formats while `models` runs):\n")
    for stage in runs[0]:
        print(f"- {stage:7} {statistics.median(r[stage] for r in runs) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
