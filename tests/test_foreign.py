"""Documents from other publishers: generated into a tmp dir, imported, called on the wire."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.pipeline import generate

CORPUS = Path(__file__).parent / "corpus"
# The core of the package; the Tinker workflow modules are still copied into every client
# (issue 13: emitted only when the spec uses their extensions), and do not type-check without it.
CORE = ["__init__.py", "_client.py", "types.py", "resources"]


def _package(tmp_path: Path, spec: str, name: str) -> Any:
    out = tmp_path / name
    generate(CORPUS / spec, spec, out=out)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def _recorder(calls: list[httpx.Request], reply: Any, status: int = 200) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json=reply) if reply is not None else httpx.Response(status)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_petstore_3_0_generates_and_calls(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "petstore-3.0.yaml", "petstore_client")
    resources = importlib.import_module("petstore_client.resources.pets")
    assert hasattr(resources, "PetsResource")  # tag `pets` would shadow the model `Pets`
    calls: list[httpx.Request] = []
    reply = [{"id": 1, "name": "Rex", "tag": None}]
    with pkg.Tinker(api_key="k", http_client=_recorder(calls, reply)) as client:
        pets = client.pets.list_pets(limit=2)
        assert pets.root[0].name == "Rex" and pets.root[0].tag is None  # nullable: true
    assert calls[0].method == "GET"
    assert str(calls[0].url) == "http://petstore.swagger.io/v1/pets?limit=2"
    calls.clear()
    with pkg.Tinker(api_key="k", http_client=_recorder(calls, {"id": 7, "name": "Tom"})) as client:
        pet = client.pets.show_pet_by_id("7")
    assert pet.id == 7
    assert (calls[0].method, calls[0].url.path) == ("GET", "/v1/pets/7")


def test_small_3_1_without_house_conventions(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "notes-3.1.json", "notes_client")
    calls: list[httpx.Request] = []
    with pkg.Tinker(
        api_key="k", base_url="https://notes.example/api", http_client=_recorder(calls, {"id": "n1", "text": "hi"})
    ) as client:
        note = client.default.create_note(text="hi")  # no tags → `default`; createNote → create_note
        assert note.id == "n1"
        client.default.get_notes_note_id("n1")  # no operationId: from method and path
    assert (calls[0].method, calls[0].url.path) == ("POST", "/api/notes")
    assert json.loads(calls[0].content) == {"text": "hi"}
    assert (calls[1].method, calls[1].url.path) == ("GET", "/api/notes/n1")
    types = importlib.import_module("notes_client.types")
    assert hasattr(types, "NoteRecord")  # schema `note-record`, made PascalCase


@pytest.mark.parametrize(("spec", "name"), [("petstore-3.0.yaml", "petstore_client"), ("notes-3.1.json", "notes_client")])
def test_core_passes_mypy_strict(tmp_path: Path, spec: str, name: str) -> None:
    generate(CORPUS / spec, spec, out=tmp_path / name)
    targets = [f"{name}/{part}" for part in CORE if (tmp_path / name / part).exists()]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10", "--follow-imports=silent", *targets],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout
