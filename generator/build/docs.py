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
    arguments = argument_docs(params, body)
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
        sections=(("Args", arguments), ("Returns", (("", returns),)), ("Raises", tuple(raises))),
    )


def argument_docs(params: tuple[Param, ...], body: Body | None) -> tuple[tuple[str, str], ...]:
    """The `Args:` entries of a method: parameters, body fields, then `options`."""
    arguments = [(str(p.name), p.description) for p in params]
    arguments += [(str(f.name), f.description) for f in (body.arguments if body else ())]
    return (*arguments, ("options", OPTIONS_TEXT))


def pages(name: str, params: tuple[Param, ...], body: Body | None, item: str) -> str:
    return docstring(
        f"Every item of `{name}`, across pages: the next page is fetched when needed.",
        sections=(("Args", argument_docs(params, body)), ("Yields", (("", f"`{item}`, one at a time."),))),
    )
