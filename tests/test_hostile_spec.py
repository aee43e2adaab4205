"""Spec text (names, descriptions, enum values, defaults) never becomes executable code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.cli import main

PAYLOAD = "\"\"\"; import os; os.environ['PWNED']='1' #"
TITLE = 'Evil """ API'
QUOTE_END = 'ends with a quote"'

HOSTILE = f"""
openapi: 3.1.0
info:
  title: {json.dumps(TITLE)}
  version: "1"
servers:
  - url: https://api.example/v1
tags:
  - name: things
    description: {json.dumps(PAYLOAD)}
paths:
  /things/{{thing_id}}:
    post:
      tags: [things]
      operationId: things.poke
      summary: {json.dumps(PAYLOAD + chr(92))}
      description: {json.dumps(QUOTE_END)}
      parameters:
        - name: thing_id
          in: path
          required: true
          schema: {{type: string}}
        - name: {json.dumps("mode'); import os #")}
          in: query
          schema:
            type: string
            enum: [{json.dumps("a'b")}, {json.dumps('c"d')}, {json.dumps(chr(92) + "x")}]
            default: {json.dumps("a'b")}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/PokeRequest'}}
      responses:
        '200': {{description: ok}}
components:
  schemas:
    PokeRequest:
      type: object
      description: {json.dumps(PAYLOAD)}
      properties:
        {json.dumps("from")}: {{type: string, default: {json.dumps("x'); import os #")}, description: {json.dumps(PAYLOAD)}}}
        {json.dumps('we"ird')}: {{type: string, enum: [{json.dumps('"); import os #')}]}}
"""


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(HOSTILE)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "evil")]) == 0
    code = """
import httpx, json, os
from evil import Tinker
from evil.resources import things
seen = []
def handler(request):
    seen.append(request)
    return httpx.Response(200)
client = Tinker(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
client.things.poke("t1", we_ird='"); import os #')
assert "PWNED" not in os.environ
request = seen[0]
assert request.url.params["mode'); import os #"] == "a'b"
assert json.loads(request.content) == {"from": "x'); import os #", 'we"ird': '"); import os #'}
assert things.Things.poke.__doc__.startswith('\"\"\"; import os;')
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
