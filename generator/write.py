"""Write stage: the whole tree goes to a temporary folder first, then is swapped into place."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeDiff:
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.changed)

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.changed)


def read_tree(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def compare(expected: dict[str, bytes], root: Path) -> TreeDiff:
    """How the files under `root` differ from `expected` (by relative path)."""
    actual = read_tree(root)
    return TreeDiff(
        missing=tuple(sorted(set(expected) - set(actual))),
        extra=tuple(sorted(set(actual) - set(expected))),
        changed=tuple(sorted(p for p in expected if p in actual and actual[p] != expected[p])),
    )


def unified_diff(expected: dict[str, bytes], root: Path, diff: TreeDiff) -> str:
    actual = read_tree(root)
    chunks: list[str] = []
    for path in (*diff.missing, *diff.changed, *diff.extra):
        old = actual.get(path, b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = expected.get(path, b"").decode("utf-8", "replace").splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
    return "".join(chunks)


def write_tree(files: dict[str, bytes], out: Path) -> TreeDiff:
    """Replace the folder `out` with exactly `files`; return what changed."""
    diff = compare(files, out)
    if diff.clean:
        return diff
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return diff
