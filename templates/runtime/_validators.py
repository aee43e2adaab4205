"""Validators the generated models share."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BeforeValidator

T = TypeVar("T")

__all__ = ["NOT_NULL"]


def _refuse_null(value: T) -> T:
    if value is None:
        raise ValueError("null is not allowed here (the field may be left out, not set to null)")
    return value


# On an optional field the spec does not make nullable: left out, it is None; sent as null, it
# is an error (pydantic does not validate defaults, only values that were given).
NOT_NULL = BeforeValidator(_refuse_null)
