"""The API review: a verdict, accepted breaks, and the report as text, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, SpecError
from .diff import ADDITIVE, BEHAVIOUR, BREAKING, CATEGORIES, UNCLASSIFIED, Change

SECTIONS = {
    BREAKING: "Breaking: code written against the old client can fail",
    UNCLASSIFIED: "Unclassified: a surface change no rule explains (treated as breaking)",
    BEHAVIOUR: "Behaviour: the same code runs but does something else",
    ADDITIVE: "Additive",
}


@dataclass(frozen=True)
class Review:
    changes: tuple[Change, ...]
    old_name: str
    new_name: str

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.category in (BREAKING, UNCLASSIFIED)]

    @property
    def unaccepted(self) -> list[Change]:
        return [c for c in self.breaking if c.accepted is None]

    @property
    def verdict(self) -> str:
        if self.breaking:
            return "breaking"
        return "non-breaking" if self.changes else "no API change"

    @property
    def bump(self) -> str:
        if self.breaking:
            return "major"
        return "minor" if self.changes else "none"

    @property
    def exit_code(self) -> int:
        return 1 if self.unaccepted else 0

    def summary(self) -> str:
        counts = ", ".join(
            f"{sum(c.category == k for c in self.changes)} {k.lower()}"
            for k in CATEGORIES
            if any(c.category == k for c in self.changes)
        )
        accepted = len(self.breaking) - len(self.unaccepted)
        extra = f"; {accepted} accepted" if accepted else ""
        return f"{self.verdict} ({self.bump} version bump){': ' + counts if counts else ''}{extra}"

    def sections(self) -> list[tuple[str, list[tuple[str, list[Change]]]]]:
        """Per category, the changes grouped by the Python symbol they belong to."""
        result = []
        for category in CATEGORIES:
            groups: dict[str, list[Change]] = {}
            for change in self.changes:
                if change.category == category:
                    groups.setdefault(_group(change.symbol), []).append(change)
            if groups:
                result.append((category, sorted(groups.items())))
        return result


def accept(changes: list[Change], path: Path | None) -> tuple[Change, ...]:
    """Mark the breaks that `path` (a YAML list of {symbol, rule, reason}) accepts."""
    if path is None:
        return tuple(changes)
    accepted = load_accepted(path)
    return tuple(
        replace(c, accepted=accepted[(c.symbol, c.rule)]) if (c.symbol, c.rule) in accepted else c
        for c in changes
    )


def load_accepted(path: Path) -> dict[tuple[str, str], str]:
    name = str(path)
    try:
        items = yaml.safe_load(path.read_text()) or []
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError([Problem(name, 1, "", f"cannot read the accepted breaks: {exc}")]) from None
    if not isinstance(items, list):
        raise SpecError(
            [Problem(name, 1, "", "the accepted breaks must be a list of {symbol, rule, reason}")]
        )
    result = {}
    problems = []
    for index, item in enumerate(items):
        ok = isinstance(item, Mapping) and all(
            isinstance(item.get(k), str) and item[k].strip() for k in ("symbol", "rule", "reason")
        )
        if not ok:
            problems.append(
                Problem(name, 1, f"/{index}", "each accepted break needs a symbol, a rule and a reason")
            )
            continue
        result[(item["symbol"], item["rule"])] = item["reason"].strip()
    if problems:
        raise SpecError(problems)
    return result


def render(review: Review, form: str) -> str:
    return {"text": _text, "markdown": _markdown, "json": _json}[form](review)


def _text(review: Review) -> str:
    lines = [f"API review {review.old_name} → {review.new_name}", f"Verdict: {review.summary()}"]
    for category, groups in review.sections():
        lines += ["", f"{category}"]
        for symbol, changes in groups:
            lines.append(f"  {symbol}" + (f"  ({changes[0].http})" if changes[0].http else ""))
            for c in changes:
                lines.append(f"    {c.rule}: {_arrow(c)}  [{c.where}]")
                if c.accepted:
                    lines.append(f"      accepted: {c.accepted}")
    return "\n".join(lines) + "\n"


def _markdown(review: Review) -> str:
    icon = {"breaking": "🔴", "non-breaking": "🟢", "no API change": "⚪"}[review.verdict]
    lines = [f"## API review: {icon} {review.summary()}", "", f"`{review.old_name}` → `{review.new_name}`"]
    for category, groups in review.sections():
        lines += ["", f"### {SECTIONS[category]}", ""]
        for symbol, changes in groups:
            http = f" — `{changes[0].http}`" if changes[0].http else ""
            lines.append(f"- **`{symbol}`**{http}")
            for c in changes:
                accepted = f" — accepted: {c.accepted}" if c.accepted else ""
                lines.append(f"  - {c.rule}: {_arrow(c, code=True)} ({c.where}){accepted}")
    return "\n".join(lines) + "\n"


def _json(review: Review) -> str:
    data: dict[str, Any] = {
        "old": review.old_name,
        "new": review.new_name,
        "verdict": review.verdict,
        "bump": review.bump,
        "unaccepted_breaking": len(review.unaccepted),
        "changes": [asdict(c) for c in review.changes],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _arrow(change: Change, code: bool = False) -> str:
    def show(value: str | None) -> str:
        if value is None:
            return "(none)"
        return f"`{value}`" if code else value

    return f"{show(change.old)} → {show(change.new)}"


def _group(symbol: str) -> str:
    return symbol.split(":")[0] if not symbol.startswith("types.") else ".".join(symbol.split(".")[:2])
