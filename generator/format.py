"""Format stage: black, in process, with pinned settings."""

from __future__ import annotations

import black
from black.mode import TargetVersion
from black.parsing import InvalidInput

MODE = black.Mode(target_versions={TargetVersion.PY310}, line_length=100)


def format_source(source: str, name: str) -> str:
    """`source` formatted by black; a syntax error names the generated file."""
    try:
        return black.format_str(source, mode=MODE)
    except InvalidInput as exc:
        raise RuntimeError(f"generated {name} is not valid Python: {exc}") from None
