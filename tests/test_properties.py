"""Every operation of Tinker and AsyncTinker, driven by values drawn from spec/tinker.yaml.

Requests: arguments drawn from the schemas of the operation's parameters and request body;
the request captured by `httpx.MockTransport` must have the operation's method, a path of its
template (each path parameter one percent-encoded segment, or several for
`x-tinker-multi-segment`), query parameters the operation declares with values their schemas
accept, and a JSON body the 2020-12 validator accepts against the request body schema.

Responses: answers drawn from the response schema (for a long-running operation, the accepted
future and then a `retrieve_future` answer of its `x-tinker-future` result) parse into the
operation's result type; answers the schema rejects (a required property removed, a wrong
JSON type) raise `APIResponseValidationError` and nothing else.

Bounded for `make test` (a few derandomized examples per operation);
TINKERGEN_PROPERTY_EXAMPLES=500 runs a longer search.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import inspect
import json
import os
import re
import warnings
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import pytest
import tinker_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinker_client import APIResponseValidationError
from tinker_client._endpoint import Endpoint, Param
from tinker_client._futures import FutureSpec

from .spec_strategies import Operation, Spec

SPEC = Spec()
ANSWERS = Spec(extras=True)
OPERATIONS = SPEC.operations()
PREFIX = "/services/tinker-prod"
POLL_PATH = PREFIX + "/api/v1/retrieve_future"
SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+")
EXAMPLES = int(os.environ.get("TINKERGEN_PROPERTY_EXAMPLES", "3"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 10,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
STYLES = ("sync", "async")


@functools.cache
def _tables(call: str) -> tuple[Endpoint[Any], FutureSpec[Any] | None, inspect.Signature]:
    """The generated `Endpoint` (and `FutureSpec`) of `call`, found by method and path."""
    resource, name = call.split(".")
    client = tinker_client.Tinker(api_key="tml-test", http_client=httpx.Client())
    method = getattr(getattr(client, resource), name)
    module = inspect.getmodule(type(getattr(client, resource)))
    op = next(o for o in OPERATIONS if o.call == call)
    found = [
        v
        for v in vars(module).values()
        if isinstance(v, Endpoint) and (v.method, v.path) == (op.method, op.path)
    ]
    assert len(found) == 1, f"{call}: {len(found)} Endpoint tables for {op.method} {op.path}"
    key = next(k for k, v in vars(module).items() if v is found[0])
    future = vars(module).get(key + "_RESULT")
    return found[0], (future if isinstance(future, FutureSpec) else None), inspect.signature(method)


def test_every_client_operation_is_in_the_spec() -> None:
    client = tinker_client.Tinker(api_key="tml-test", http_client=httpx.Client())
    tags = {op.call.split(".")[0] for op in OPERATIONS}
    methods = {
        f"{tag}.{name}"
        for tag in tags
        for name in dir(type(getattr(client, tag)))
        if not name.startswith("_") and not name.endswith("_all") and name != "with_raw_response"
    }
    assert methods == {op.call for op in OPERATIONS}
    assert len(OPERATIONS) == 49


# ---------------------------------------------------------------------- arguments


def _path_value(param: Param) -> st.SearchStrategy[str]:
    """Schema-valid path values the client accepts: a dot segment is refused before sending
    (it would reach another endpoint), and so is an empty segment of a multi-segment value."""
    text = st.one_of(
        st.text(min_size=1, max_size=12),
        st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3).map("/".join),
    )
    if param.multi_segment:
        return text.filter(lambda v: all(s not in ("", ".", "..") for s in v.split("/")))
    return text.filter(lambda v: v not in (".", ".."))


_HEADER_VALUE = st.from_regex(r"[!-~]([ -~]*[!-~])?", fullmatch=True)


@st.composite
def _arguments(draw: st.DrawFn, op: Operation) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keyword arguments of the client method, the JSON value each argument stands for)."""
    endpoint, _, signature = _tables(op.call)
    kwargs: dict[str, Any] = {}
    sent: dict[str, Any] = {}
    for param in endpoint.params:
        schema = next(p for p in op.params if p["name"] == param.wire)
        if param.location == "path":
            value = draw(_path_value(param).filter(lambda v, s=schema: SPEC.valid(s["schema"], v)))
        elif not (schema.get("required") or draw(st.booleans())):
            continue
        elif param.location == "header":
            # HTTP allows visible ASCII inside a header value; anything else is refused before
            # sending (ValueError), as the reliability tests check
            value = draw(_HEADER_VALUE.filter(lambda v, s=schema: SPEC.valid(s["schema"], v)))
        else:
            value = draw(SPEC.values(schema["schema"]))
        sent[param.wire] = value
        kwargs[param.name] = datetime.date.fromisoformat(value) if param.kind == "date" else value
    if op.body is not None:
        body = draw(SPEC.values(op.body))
        properties = SPEC.resolve(op.body).get("properties", {})
        for key, value in body.items():
            if key in signature.parameters:
                kwargs[key] = sent[key] = value
            else:  # only the fields the method fills in itself
                assert "const" in SPEC.resolve(properties[key]), (
                    f"{op.call}: no argument for body field {key}"
                )
    return kwargs, sent


def _invoke(
    style: str, call: str, kwargs: dict[str, Any], handler: Callable[[httpx.Request], httpx.Response]
) -> Any:
    """Call `call` on a client of `style` over `handler`; a future is awaited to its result."""
    resource, name = call.split(".")
    transport = httpx.MockTransport(handler)
    options = {"max_retries": 0, "deadline": 10.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if style == "sync":
            with httpx.Client(transport=transport) as http:
                client = tinker_client.Tinker(api_key="tml-test", http_client=http)
                result = getattr(getattr(client, resource), name)(**kwargs, options=options)
                return result.result(timeout=10) if isinstance(result, tinker_client.Future) else result

        async def run() -> Any:
            async with httpx.AsyncClient(transport=transport) as http:
                client = tinker_client.AsyncTinker(api_key="tml-test", http_client=http)
                result = await getattr(getattr(client, resource), name)(**kwargs, options=options)
                return (
                    await result.result(timeout=10)
                    if isinstance(result, tinker_client.AsyncFuture)
                    else result
                )

        return asyncio.run(run())


# ---------------------------------------------------------------------- requests


def _check_path(op: Operation, endpoint: Endpoint[Any], raw_path: str, sent: dict[str, Any]) -> None:
    assert raw_path.startswith(PREFIX)
    pattern = re.escape(op.path)
    multi = {p.wire for p in endpoint.params if p.multi_segment}
    for param in endpoint.params:
        if param.location == "path":
            group = (
                rf"(?P<{param.wire}>[^/]+(?:/[^/]+)*)" if param.wire in multi else rf"(?P<{param.wire}>[^/]+)"
            )
            pattern = pattern.replace(re.escape("{" + param.wire + "}"), group)
    match = re.fullmatch(pattern, raw_path[len(PREFIX) :])
    assert match, f"{raw_path!r} does not match {op.path}"
    for wire, text in match.groupdict().items():
        segments = text.split("/")
        assert all(SEGMENT.fullmatch(s) for s in segments), f"{wire}: {text!r} is not percent-encoded"
        assert "/".join(unquote(s, errors="strict") for s in segments) == sent[wire]


def _check_query(op: Operation, raw_query: str, sent: dict[str, Any]) -> None:
    declared = {p["name"]: p for p in op.params if p["in"] == "query"}
    query = dict(parse_qsl(raw_query, keep_blank_values=True, errors="strict"))
    assert set(query) <= set(declared), f"undeclared query keys {set(query) - set(declared)}"
    for name, param in declared.items():
        if param.get("required"):
            assert name in query, f"required query parameter {name} missing"
    for name, text in query.items():
        schema = SPEC.resolve(declared[name]["schema"])
        value: Any = text
        if schema.get("type") == "integer":
            value = int(text)
        elif schema.get("type") == "number":
            value = float(text)
        elif schema.get("type") == "boolean":
            assert text in ("true", "false")
            value = text == "true"
        assert SPEC.valid(declared[name]["schema"], value), f"{name}={text!r}"
        if name in sent:
            assert value == sent[name]


def _check_body(op: Operation, request: httpx.Request, sent: dict[str, Any]) -> None:
    if op.body is None:
        assert request.content == b""
        return
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    errors = [e.message for e in SPEC.validator(op.body).iter_errors(body)]
    assert not errors, f"body {body!r} breaks the schema: {errors}"
    for key, value in sent.items():
        if key in SPEC.resolve(op.body).get("properties", {}) and value is not None:
            assert key in body


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("op", OPERATIONS, ids=[op.call for op in OPERATIONS])
def test_request_matches_the_spec(op: Operation, style: str) -> None:
    endpoint, _, _ = _tables(op.call)

    @PROPERTY
    @given(_arguments(op))
    def check(arguments: tuple[dict[str, Any], dict[str, Any]]) -> None:
        kwargs, sent = arguments
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.raw_path.decode().startswith(POLL_PATH) and op.future_result is not None:
                return httpx.Response(400, json={"detail": "not polled in this test"})
            return httpx.Response(200, json=_a_future(op))

        with contextlib.suppress(tinker_client.APIError):  # the answer does not matter here
            _invoke(style, op.call, kwargs, handler)
        request = seen[0]
        assert request.method == op.method
        raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
        _check_path(op, endpoint, raw_path, sent)
        _check_query(op, raw_query, sent)
        _check_body(op, request, sent)

    check()


def _a_future(op: Operation) -> Any:
    return {"request_id": "req-1", "model_id": "m"} if op.future_result is not None else {}


# ---------------------------------------------------------------------- responses

ANSWERED = [op for op in OPERATIONS if op.response is not None]


@st.composite
def _answers(draw: st.DrawFn, op: Operation) -> tuple[Any, Any, Any]:
    """(initial answer, poll answer or None, the schema-invalid variant of one of them)."""
    initial = draw(
        ANSWERS.values(op.response).filter(lambda v: op.future_result is None or v["request_id"] != "")
    )
    poll = draw(ANSWERS.values(op.future_result)) if op.future_result is not None else None
    if poll is not None and draw(st.booleans()):
        return initial, poll, ("poll", draw(SPEC.breakages(op.future_result, poll)))
    return initial, poll, ("initial", draw(SPEC.breakages(op.response, initial)))


def _answering(initial: Any, poll: Any) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.raw_path.decode().startswith(POLL_PATH) and poll is not None:
            return httpx.Response(200, json=poll)
        return httpx.Response(200, json=initial)

    return handler


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("op", ANSWERED, ids=[op.call for op in ANSWERED])
def test_valid_answers_parse_and_invalid_ones_raise_validation_errors(op: Operation, style: str) -> None:
    endpoint, future, _ = _tables(op.call)
    result_type = future.result if future is not None else endpoint.response
    assert (future is None) == (op.future_result is None), (
        f"{op.call}: FutureSpec and x-tinker-future disagree"
    )
    arguments = _arguments(op)

    @PROPERTY
    @given(arguments, _answers(op))
    def check(args: tuple[dict[str, Any], dict[str, Any]], answers: tuple[Any, Any, Any]) -> None:
        kwargs, _ = args
        initial, poll, (where, broken) = answers
        result = _invoke(style, op.call, kwargs, _answering(initial, poll))
        assert isinstance(result, result_type)
        bad = _answering(broken, poll) if where == "initial" else _answering(initial, broken)
        with pytest.raises(APIResponseValidationError):
            _invoke(style, op.call, kwargs, bad)

    check()


# ---------------------------------------------------------------------- known defects elsewhere

FORWARD = next(op for op in OPERATIONS if op.call == "training.forward")


@pytest.mark.parametrize("style", STYLES)
def test_null_for_an_optional_non_nullable_property_is_refused(style: str) -> None:
    answer = {"loss_fn_output_type": "ArrayRecord", "loss_fn_outputs": [], "metrics": None}
    assert not SPEC.valid(FORWARD.future_result or {}, answer)
    kwargs = {"model_id": "m", "forward_input": {"data": [], "loss_fn": "cross_entropy"}}
    with pytest.raises(APIResponseValidationError):
        _invoke(style, FORWARD.call, kwargs, _answering({"request_id": "req-1"}, answer))


def test_the_spec_refuses_an_empty_request_id() -> None:
    """The spec says what the client checks: a future handle without a request id is refused."""
    assert not SPEC.valid(FORWARD.response or {}, {"request_id": ""})
