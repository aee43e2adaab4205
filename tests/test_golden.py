"""The committed generated/ is exactly what the spec and templates give, reproducibly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator import cache
from generator.pipeline import generate
from generator.write import compare, unified_diff, write_tree

from .conftest import GENERATED, ROOT, SPEC

PACKAGE = GENERATED / "tinker_client"


def test_generated_package_matches_the_spec(tmp_path: Path) -> None:
    output = generate(SPEC, "spec/tinker.yaml")
    write_tree(output.files, tmp_path / "tinker_client")
    diff = compare(output.files, PACKAGE)
    if not diff.clean:
        print(unified_diff(output.files, PACKAGE, diff))
    assert diff.clean, (
        f"generated/ is stale: missing {list(diff.missing)}, extra {list(diff.extra)},"
        f" changed {list(diff.changed)}. Update it with: make generate"
    )


def test_generation_is_deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cold run (no cache), a run that fills a new cache, and one served from it agree."""
    monkeypatch.setenv("TINKERGEN_NO_CACHE", "1")
    cold = generate(SPEC, "spec/tinker.yaml").files
    monkeypatch.setenv("TINKERGEN_NO_CACHE", "0")
    monkeypatch.setattr(cache, "DIRECTORY", tmp_path / "cache")
    filling = generate(SPEC, "spec/tinker.yaml").files
    assert list((tmp_path / "cache").iterdir()), "the cache was not written"
    served = generate(SPEC, "spec/tinker.yaml").files
    assert cold == filling == served


def test_output_has_no_absolute_paths_or_timestamps() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert str(ROOT) not in text, path
        assert "datamodel-codegen" not in text, path
        assert "#   timestamp:" not in text, path


def test_generated_package_passes_mypy_strict() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "tinker_client",
        ],
        cwd=GENERATED,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_package_uses_relative_imports_and_two_dependencies() -> None:
    allowed = {"httpx", "pydantic", "__future__"}
    stdlib = set(sys.stdlib_module_names)
    for path in PACKAGE.rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and not line.startswith(" "):
                top = words[1].split(".")[0]
                assert words[1].startswith(".") or top in allowed or top in stdlib, f"{path}: {line}"


def test_package_works_under_another_name(tmp_path: Path) -> None:
    """Vendored as `vendor.tinker`, the package imports and calls without tinker_client."""
    vendor = tmp_path / "vendor"
    (vendor / "tinker").mkdir(parents=True)
    (vendor / "__init__.py").write_text("")
    for source in PACKAGE.rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            target = vendor / "tinker" / source.relative_to(PACKAGE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    code = (
        "import httpx, sys\n"
        "from vendor.tinker import Tinker\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(200, json={'status': 'ok'}))\n"
        "c = Tinker(api_key='k', http_client=httpx.Client(transport=t))\n"
        "assert c.service.health_check().status == 'ok'\n"
        "assert not [m for m in sys.modules if m.startswith('tinker_client')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_import_is_lazy() -> None:
    code = (
        "import sys, tinker_client\n"
        "tinker_client.Tinker(api_key='k')\n"
        "loaded = [m for m in sys.modules if m.startswith('tinker_client.')]\n"
        "assert 'tinker_client.types' not in loaded, loaded\n"
        "assert not [m for m in loaded if m.startswith('tinker_client.resources')], loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=GENERATED, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
