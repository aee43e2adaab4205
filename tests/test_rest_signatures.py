"""x-tinker-rest `params` and `request`: a RestClient signature chosen in the spec.

The real spec's uses (copy_weights, search_sessions) are checked against the SDK in
test_sdk_inventory.py and on the wire in test_rest_client.py; here, what the generator makes of
a small spec, and every way the two keys can be wrong.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.cli import main

from .test_broken_specs import MINIMAL, run

POST = "      x-tinker-future:"
GET = "      summary: Get a thing.\n"
AT = "27: /paths/~1things/post/x-tinker-rest"


def on_post(rest: str) -> str:
    return MINIMAL.replace(POST, f"      x-tinker-rest: {rest}\n{POST}", 1)


def _signature(tmp_path: Path, text: str, method: str) -> ast.arguments:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    module = ast.parse((tmp_path / "out" / "rest_client.py").read_text())
    found = [n for n in ast.walk(module) if isinstance(n, ast.FunctionDef) and n.name == method]
    assert len(found) == 1
    return found[0].args


def test_params_rename_order_and_keyword_only(tmp_path: Path) -> None:
    args = _signature(
        tmp_path,
        on_post("{name: create_thing, params: [{name: label, from: name}, '*', size]}"),
        "create_thing",
    )
    assert [a.arg for a in args.args] == ["self", "label"]
    assert [a.arg for a in args.kwonlyargs] == ["size"]
    assert [ast.unparse(d) for d in args.kw_defaults] == ["None"]


def test_params_may_leave_out_an_optional_argument(tmp_path: Path) -> None:
    args = _signature(tmp_path, on_post("{name: create_thing, params: [name]}"), "create_thing")
    assert [a.arg for a in args.args] == ["self", "name"] and args.kwonlyargs == []


def test_request_takes_the_body_model_whole(tmp_path: Path) -> None:
    args = _signature(tmp_path, on_post("{name: create_thing, request: body}"), "create_thing")
    assert [(a.arg, ast.unparse(a.annotation) if a.annotation else "") for a in args.args] == [
        ("self", ""),
        ("body", "CreateThingRequest"),
    ]


def test_result_field_answers_that_property(tmp_path: Path) -> None:
    text = on_post("{name: create_thing}").replace(
        "    post:\n      tags: [things]\n      operationId: things.create\n      summary: Create a thing.\n"
        "      x-tinker-rest: {name: create_thing}\n      x-tinker-future:\n"
        "        result: {$ref: '#/components/schemas/Thing'}\n        request-type: CreateThing\n",
        "    post:\n      tags: [things]\n      operationId: things.create\n      summary: Create a thing.\n"
        "      x-tinker-rest: {name: create_thing, result-field: thing_id}\n",
    )
    assert "x-tinker-future" not in text
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    module = ast.parse((tmp_path / "out" / "rest_client.py").read_text())
    returns = {
        n.name: ast.unparse(n.returns)
        for n in ast.walk(module)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns
    }
    assert returns["create_thing"] == "APIFuture[str]" and returns["create_thing_async"] == "str"


BROKEN = {
    "unknown wire name": (
        on_post("{name: create_thing, params: [name, colour]}"),
        [f"{AT}/params/1: 'colour' is not a parameter or body property of things.create"],
    ),
    "required argument left out": (
        on_post("{name: create_thing, params: [size]}"),
        [f"{AT}/params: params leaves out the required 'name'"],
    ),
    "two keyword-only marks": (
        on_post("{name: create_thing, params: [name, '*', '*', size]}"),
        [f"{AT}/params/2: params may mark the keyword-only arguments once"],
    ),
    "required after a default": (
        on_post("{name: create_thing, params: [size, name]}"),
        [f"{AT}/params/1: the required argument 'name' follows one with a default"],
    ),
    "one source twice": (
        on_post("{name: create_thing, params: [name, {name: other, from: name}]}"),
        [f"{AT}/params/1: params names 'name' twice"],
    ),
    "one argument name twice": (
        on_post("{name: create_thing, params: [name, {name: name, from: size}]}"),
        [f"{AT}/params/1: two arguments are named 'name'"],
    ),
    "a name the method body uses": (
        on_post("{name: create_thing, params: [{name: client, from: name}]}"),
        [f"{AT}/params/0: RestClient argument 'client' is taken by the generated method"],
    ),
    "a keyword as argument": (
        on_post("{name: create_thing, params: [{name: class, from: name}]}"),
        [
            f"{AT}/params/0: RestClient argument 'class' is not a usable Python name"
            " (a keyword or not an identifier)"
        ],
    ),
    "an argument that is no identifier": (
        on_post("{name: create_thing, params: [{name: Bad-Name, from: name}]}"),
        [
            f"{AT}/params/0: invalid value: {{'name': 'Bad-Name', 'from': 'name'}}"
            " is not valid under any of the given schemas"
        ],
    ),
    "empty params": (
        on_post("{name: create_thing, params: []}"),
        [f"{AT}/params: invalid value: [] should be non-empty"],
    ),
    "params without a name": (
        on_post("{tinker-path: [create_from_path], params: [name]}"),
        [f"{AT}: invalid value: 'name' is a dependency of 'params'"],
    ),
    "params with request": (
        on_post("{name: create_thing, params: [name], request: body}"),
        [f"{AT}: params and request cannot be combined: request takes the whole body"],
    ),
    "result-field of a future": (
        on_post("{name: create_thing, result-field: thing_id}"),
        [f"{AT}/result-field: things.create answers no plain model to take a field of"],
    ),
    "result-field not in the response": (
        MINIMAL.replace(GET, f"{GET}      x-tinker-rest: {{name: get_thing, result-field: colour}}\n", 1),
        [
            "11: /paths/~1things~1{thing_id}/get/x-tinker-rest/result-field: 'colour' is not a required property of Thing"
        ],
    ),
    "request without a body": (
        MINIMAL.replace(GET, f"{GET}      x-tinker-rest: {{name: get_thing, request: body}}\n", 1),
        [
            "11: /paths/~1things~1{thing_id}/get/x-tinker-rest/request: things.get has no request body to take whole"
        ],
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_broken_rest_signature(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BROKEN[case]
    code, lines = run(tmp_path, capsys, text)
    assert code == 2
    assert lines == expected
