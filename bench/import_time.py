"""Import: a fresh `python -c "import tinker_client; tinker_client.Tinker(api_key='x')"` against
`python -c "import httpx, pydantic"` plus one model class, alternating, each in a new process.
"""

from __future__ import annotations

from harness import ROOT, VENV_PYTHON, alternate, process, table

ROUNDS = 20
OURS = "import tinker_client; tinker_client.Tinker(api_key='x')"
BASELINE = "import httpx, pydantic\nclass Model(pydantic.BaseModel):\n    x: int\n"


def main() -> None:
    python = str(VENV_PYTHON)
    samples = alternate(
        {
            "import httpx, pydantic + one model": process([python, "-c", BASELINE], cwd=ROOT / "generated"),
            "import tinker_client + Tinker()": process([python, "-c", OURS], cwd=ROOT / "generated"),
            "python -c pass (interpreter start)": process([python, "-c", "pass"], cwd=ROOT / "generated"),
        },
        ROUNDS,
        warmup=2,
    )
    table(
        "Import (fresh process each)",
        samples,
        "import httpx, pydantic + one model",
        1.3,
        judged=["import tinker_client + Tinker()"],
    )


if __name__ == "__main__":
    main()
