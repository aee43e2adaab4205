"""Docstrings of generated methods, from the spec's summaries and descriptions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..ir import Body, ClassName, Future, Param, docstring

OPTIONS_TEXT = "per-call settings (timeout, retries, idempotency key, headers)."


def deprecation(raw: Mapping[str, Any], symbol: str) -> str | None:
    """The deprecation message of an operation: its description's "Deprecated:" paragraph."""
    if not raw.get("deprecated"):
        return None
    for paragraph in re.split(r"\n\s*\n", str(raw.get("description", ""))):
        if paragraph.strip().startswith("Deprecated:"):
            return " ".join(paragraph.split())
    return f"Deprecated: {symbol} is deprecated."


def method(
    raw: Mapping[str, Any],
    http_method: str,
    path: str,
    params: tuple[Param, ...],
    body: Body | None,
    response: ClassName | None,
    future: Future | None,
    deprecated: str | None,
) -> str:
    """Summary, description, the endpoint, then Args, Returns and Raises."""
    description = str(raw.get("description", ""))
    notice = deprecated if deprecated and deprecated not in " ".join(description.split()) else ""
    arguments = [(str(p.name), p.description) for p in params]
    arguments += [(str(f.name), f.description) for f in (body.arguments if body else ())]
    arguments.append(("options", OPTIONS_TEXT))
    if future is not None:
        returns = f"A future resolving to `{future.result}`; the call returns once the server accepted it."
    else:
        returns = f"`{response}`." if response else "Nothing."
    raises = [("APIError", "a subclass per failure (status, connection, timeout, bad response).")]
    if params or body:
        raises.insert(0, ("ValueError, TypeError", "for a bad argument, before anything is sent."))
    return docstring(
        str(raw.get("summary", "")),
        description,
        notice,
        f"`{http_method} {path}`",
        sections=(("Args", tuple(arguments)), ("Returns", (("", returns),)), ("Raises", tuple(raises))),
    )
