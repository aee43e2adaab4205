"""Problems found in a spec: data with a location, reported together at the end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, located by file, line and JSON pointer; shown on one line, whatever the spec holds."""

    file: str
    line: int
    pointer: str
    message: str

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.pointer or '/'}: {self.message}"
        return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class SpecError(Exception):
    """The spec cannot be generated from; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def pointer_join(pointer: str, *parts: str | int) -> str:
    """Extend a JSON pointer, escaping '~' and '/' in each part (RFC 6901)."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join([pointer, *escaped])
