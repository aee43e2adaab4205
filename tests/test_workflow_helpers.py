"""ModelInput, TensorData and Datum helpers (spec mark x-tinker-helpers) and batch tools."""

from __future__ import annotations

import pytest
from tinker_client import types
from tinker_client._workflow_batch import combine_outputs, datum_bytes, split_batch


@pytest.mark.parametrize("tokens", [[], [0], [1, 2, 3], list(range(100)), [2**31, 0, 7]])
def test_model_input_round_trips_tokens(tokens: list[int]) -> None:
    model_input = types.ModelInput.from_ints(tokens)
    assert model_input.to_ints() == tokens
    assert model_input.length == len(tokens)
    assert model_input.append_int(5).to_ints() == [*tokens, 5]


def test_to_ints_refuses_an_image_chunk() -> None:
    image = types.ModelInput(chunks=[types.ImageChunk(data="aGk=", format="png", expected_tokens=4)])
    assert image.length == 4
    with pytest.raises(ValueError, match="'image' chunk"):
        image.to_ints()


@pytest.mark.parametrize("rows", [[[1.0, 2.0, 3.0]], [[0.5, -1.0, 2.0], [4.0, 5.0, 6.25]]])
def test_tensor_data_from_and_to_nested_lists(rows: list[list[float]]) -> None:
    tensor = types.TensorData.from_list(rows)
    assert tensor.shape == [len(rows), 3] and tensor.dtype == "float32"
    assert tensor.tolist() == rows


def test_tensor_data_rejects_ragged_lists_and_bad_dtypes() -> None:
    with pytest.raises(ValueError, match="ragged"):
        types.TensorData.from_list([[1, 2], [3]])
    with pytest.raises(ValueError, match="dtype"):
        types.TensorData.from_list([1], "float64")


def test_datum_accepts_plain_lists_with_the_sdk_dtypes() -> None:
    datum = types.Datum(
        model_input=types.ModelInput.from_ints([1, 2]),
        loss_fn_inputs={"target_tokens": [2, 3], "weights": [1, 0], "advantages": [0.5, 1]},
    )
    inputs = datum.loss_fn_inputs
    assert (inputs["target_tokens"].dtype, inputs["target_tokens"].data) == ("int64", [2, 3])
    assert (inputs["weights"].dtype, inputs["weights"].data) == ("float32", [1.0, 0.0])
    assert inputs["advantages"].dtype == "float32"


def test_numpy_arrays_convert_when_numpy_is_installed() -> None:
    np = pytest.importorskip("numpy")
    tensor = types.TensorData.from_numpy(np.arange(6).reshape(2, 3))
    assert (tensor.dtype, tensor.shape) == ("int64", [2, 3])
    assert tensor.to_numpy().tolist() == [[0, 1, 2], [3, 4, 5]]


def datum(n_tokens: int) -> types.Datum:
    return types.Datum(
        model_input=types.ModelInput.from_ints([1] * n_tokens), loss_fn_inputs={"target_tokens": [1] * n_tokens}
    )


def test_a_batch_splits_by_datum_count_and_by_size_in_order() -> None:
    assert datum_bytes(datum(10)) == 10 * 4 + 10 * 8
    data = [datum(i + 1) for i in range(10)]
    by_count = split_batch(data, max_len=4)
    assert [len(c) for c in by_count] == [4, 4, 2] and [d for c in by_count for d in c] == data
    by_size = split_batch(data, max_bytes=datum_bytes(datum(12)))
    assert all(sum(datum_bytes(d) for d in c) <= datum_bytes(datum(12)) or len(c) == 1 for c in by_size)
    assert [d for c in by_size for d in c] == data


def test_split_results_combine_like_the_sdk() -> None:
    def out(n: int, metrics: dict[str, float]) -> types.ForwardBackwardOutput:
        return types.ForwardBackwardOutput(loss_fn_output_type="A", loss_fn_outputs=[{}] * n, metrics=metrics)

    first = out(1, {"l:sum": 1, "m:mean": 1, "x:max": 2, "u:unique": 7})
    second = out(3, {"l:sum": 2, "m:mean": 3, "x:max": 1, "u:unique": 8})
    combined = combine_outputs([first, second])
    assert combined.metrics == {"l:sum": 3.0, "m:mean": 2.5, "x:max": 2.0, "u:unique": 7.0, "u:unique_1": 8.0}
    assert len(combined.loss_fn_outputs) == 4
