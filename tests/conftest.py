"""Shared fixtures: the generated package on sys.path, spec helpers, a loopback server."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "tinker.yaml"
GENERATED = ROOT / "generated"

if str(GENERATED) not in sys.path:
    sys.path.insert(0, str(GENERATED))

pytest_plugins = ["tests.loopback"]
