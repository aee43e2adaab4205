"""Data helpers mixed into the generated models (spec mark `x-tinker-helpers`).

`ModelInput.from_ints(tokens)`, `.to_ints()`, `.length`; `TensorData` from and to plain
lists, numpy arrays and torch tensors (numpy and torch are used when installed, never
required); `Datum` accepting plain lists, arrays and tensors as loss function inputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, model_validator

if TYPE_CHECKING:
    from .types import ModelInput, TensorData

__all__ = ["DatumHelpers", "ModelInputHelpers", "TensorDataHelpers"]

_M = TypeVar("_M", bound="ModelInputHelpers")
_T = TypeVar("_T", bound="TensorDataHelpers")

# The dtype each known loss function input takes (other keys: from the values).
LOSS_INPUT_DTYPES = {
    "target_tokens": "int64",
    "weights": "float32",
    "advantages": "float32",
    "logprobs": "float32",
    "clip_low_threshold": "float32",
    "clip_high_threshold": "float32",
    "sequence_ratio_mask": "float32",
}


def optional_module(name: str, purpose: str) -> Any:
    """Import `name`, or raise ImportError saying what to install for `purpose`."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"{purpose} needs {name}: pip install {name}") from None


class ModelInputHelpers(BaseModel):
    """Helpers of `ModelInput`: token lists in and out."""

    if TYPE_CHECKING:  # the generated model declares the field
        chunks: list[Any]

    @classmethod
    def from_ints(cls: type[_M], tokens: Sequence[int]) -> _M:
        """A model input of one text chunk holding `tokens`."""
        return cls.model_validate({"chunks": [{"type": "encoded_text", "tokens": list(tokens)}]})

    @classmethod
    def empty(cls: type[_M]) -> _M:
        """A model input without chunks."""
        return cls.model_validate({"chunks": []})

    def to_ints(self) -> list[int]:
        """Every token of every chunk; ValueError if a chunk is not text (an image, ...)."""
        tokens: list[int] = []
        for chunk in self.chunks:
            if getattr(chunk, "type", None) != "encoded_text":
                raise ValueError(f"to_ints() needs text chunks only, found a {chunk.type!r} chunk")
            tokens.extend(chunk.tokens)
        return tokens

    @property
    def length(self) -> int:
        """The number of tokens (an image chunk counts its `expected_tokens`)."""
        total = 0
        for chunk in self.chunks:
            if getattr(chunk, "type", None) == "encoded_text":
                total += len(chunk.tokens)
            else:
                total += int(getattr(chunk, "expected_tokens", None) or 0)
        return total

    def append_int(self: _M, token: int) -> _M:
        """A copy with `token` added to the last text chunk (or a new one)."""
        chunks = [chunk.model_dump() for chunk in self.chunks]
        if chunks and chunks[-1]["type"] == "encoded_text":
            chunks[-1]["tokens"].append(token)
        else:
            chunks.append({"type": "encoded_text", "tokens": [token]})
        return type(self).model_validate({"chunks": chunks})


class TensorDataHelpers(BaseModel):
    """Helpers of `TensorData`: plain lists, numpy arrays and torch tensors."""

    if TYPE_CHECKING:  # the generated model declares the fields
        data: Any
        dtype: Any

    @classmethod
    def from_list(cls: type[_T], values: Sequence[Any], dtype: str | None = None) -> _T:
        """A tensor of (possibly nested, rectangular) `values`; dtype from the values if None."""
        flat, shape = _flatten(values)
        if dtype is None:
            dtype = "float32" if any(isinstance(v, float) for v in flat) else "int64"
        if dtype not in ("int64", "float32"):
            raise ValueError(f"dtype must be 'int64' or 'float32', not {dtype!r}")
        cast = int if dtype == "int64" else float
        return cls.model_validate({"data": [cast(v) for v in flat], "dtype": dtype, "shape": shape})

    @classmethod
    def from_numpy(cls: type[_T], array: Any) -> _T:
        """A tensor of a numpy array (integers become int64, floats float32)."""
        kind = getattr(getattr(array, "dtype", None), "kind", None)
        if kind not in ("i", "u", "f", "b"):
            raise TypeError(f"from_numpy needs a numeric numpy array, not {type(array).__name__}")
        dtype = "float32" if kind == "f" else "int64"
        return cls.model_validate({"data": array.reshape(-1).tolist(), "dtype": dtype, "shape": list(array.shape)})

    @classmethod
    def from_torch(cls: type[_T], tensor: Any) -> _T:
        """A tensor of a torch tensor (moved to the CPU first)."""
        values = tensor.detach().cpu()
        dtype = "float32" if values.is_floating_point() else "int64"
        return cls.model_validate({"data": values.reshape(-1).tolist(), "dtype": dtype, "shape": list(values.shape)})

    def tolist(self) -> list[Any]:
        """The values as (nested) Python lists in the tensor's shape."""
        data = list(self.data)
        shape = getattr(self, "shape", None) or [len(data)]
        if getattr(self, "sparse_crow_indices", None) is not None:
            raise ValueError("tolist() of a sparse tensor is not supported; use the CSR fields")
        return _nest(data, list(shape))

    def to_numpy(self) -> Any:
        """A numpy array (needs numpy)."""
        np = optional_module("numpy", "TensorData.to_numpy()")
        dtype = np.int64 if self.dtype == "int64" else np.float32
        return np.asarray(self.tolist(), dtype=dtype)

    def to_torch(self) -> Any:
        """A torch tensor (needs torch)."""
        torch = optional_module("torch", "TensorData.to_torch()")
        dtype = torch.int64 if self.dtype == "int64" else torch.float32
        return torch.tensor(self.tolist(), dtype=dtype)


class DatumHelpers(BaseModel):
    """`Datum` accepts plain lists, numpy arrays and torch tensors as loss function inputs."""

    @model_validator(mode="before")
    @classmethod
    def _convert_loss_inputs(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("loss_fn_inputs"), dict):
            return value
        inputs = {key: to_tensor_data(key, item) for key, item in value["loss_fn_inputs"].items()}
        return {**value, "loss_fn_inputs": inputs}


def to_tensor_data(key: str, value: Any) -> Any:
    """`value` as a TensorData (dict) when it is a list, an array or a tensor; else unchanged."""
    from .types import TensorData

    if isinstance(value, (list, tuple)):
        return TensorData.from_list(value, LOSS_INPUT_DTYPES.get(key))
    module = type(value).__module__.split(".")[0]
    if module == "numpy" and hasattr(value, "dtype"):
        tensor: TensorData = TensorData.from_numpy(value)
    elif module == "torch" and hasattr(value, "detach"):
        tensor = TensorData.from_torch(value)
    else:
        return value
    dtype = LOSS_INPUT_DTYPES.get(key)
    if dtype is not None and dtype != tensor.dtype:
        return TensorData.from_list(tensor.data, dtype).model_copy(update={"shape": tensor.shape})
    return tensor


def model_input_tokens(model_input: ModelInput) -> int:
    """The token count of a model input (for batch size estimates)."""
    return model_input.length


def _flatten(values: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Row-major values and the shape of a rectangular nested sequence."""
    if not values or not isinstance(values[0], (list, tuple)):
        for v in values:
            if isinstance(v, (list, tuple, bool)) or not isinstance(v, (int, float)):
                raise ValueError("values must be a rectangular array of numbers")
        return list(values), [len(values)]
    rows = [_flatten(row) for row in values]
    inner = rows[0][1]
    if any(shape != inner for _, shape in rows):
        raise ValueError("values must be a rectangular array; ragged nested lists are not supported")
    return [v for flat, _ in rows for v in flat], [len(values), *inner]


def _nest(data: list[Any], shape: list[int]) -> list[Any]:
    if len(shape) <= 1:
        return data
    step = len(data) // shape[0] if shape[0] else 0
    return [_nest(data[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]
