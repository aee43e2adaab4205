"""A content-addressed cache for the generator's slow pure steps.

Formatting, model generation and OpenAPI validation are pure functions of their input and
of the pinned tool's version, so their results are stored under a hash of both in
`.cache/tinkergen/` (ignored by git). A regeneration then redoes only what changed; the
output is byte-for-byte what a cold run gives. TINKERGEN_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = Path(os.environ.get("TINKERGEN_CACHE_DIR", ROOT / ".cache" / "tinkergen"))


def enabled() -> bool:
    return os.environ.get("TINKERGEN_NO_CACHE", "") in ("", "0")


def key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def lookup(kind: str, cache_key: str) -> str | None:
    if not enabled():
        return None
    try:
        return (DIRECTORY / kind / cache_key).read_text(encoding="utf-8")
    except OSError:
        return None


def store(kind: str, cache_key: str, value: str) -> None:
    """Write atomically; a cache that cannot be written is simply not used."""
    if not enabled():
        return
    folder = DIRECTORY / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(value)
        os.replace(temporary, folder / cache_key)
    except OSError:
        pass


def cached(kind: str, cache_key: str, compute: Callable[[], str]) -> str:
    value = lookup(kind, cache_key)
    if value is None:
        value = compute()
        store(kind, cache_key, value)
    return value
