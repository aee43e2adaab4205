"""The API review: the Python surface of two specs compared rule by rule, and the report.

`surface` turns the IR into comparable data (also what api.md is rendered from), `diff`
classifies each change, `report` gives the verdict and renders it.
"""

from __future__ import annotations

from .diff import compare
from .report import Review, accept, render
from .surface import Surface, surface

__all__ = ["Review", "Surface", "accept", "compare", "render", "surface"]
