"""Render stage: Jinja templates + the IR → Python source, unformatted.

The environment is strict (an undefined name fails) and does no escaping: every string a
template prints was escaped when the IR was built.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from .ir import Api
from .surface import Method, Surface

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
RUNTIME = TEMPLATES / "runtime"
# Exported by the package but imported on first use, by module.
LAZY_EXPORTS = {
    "_rest": ["APIFuture", "ParsedCheckpointTinkerPath", "parse_tinker_path"],
    "rest_client": ["RestClient"],
    "_service": ["ServiceClient"],
    "_training": ["TrainingClient"],
    "_sampling": ["SamplingClient"],
    "_workflow_loop": ["ClientFuture"],
    "_workflow_wait": ["SessionEndedError", "WaitDeadlineError", "WaitPolicy"],
}


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_sources(api: Api, header: str, provenance: str, errors: list[str]) -> dict[str, str]:
    """Every templated module of the package, by relative path."""
    env = environment()
    files = {
        "__init__.py": env.get_template("package_init.py.jinja").render(
            api=api, provenance=provenance, errors=errors, exports=package_exports(errors), lazy=LAZY_EXPORTS
        ),
        "_client.py": env.get_template("client.py.jinja").render(api=api, header=header),
        "rest_client.py": env.get_template("rest_client.py.jinja").render(api=api, header=header),
        "resources/__init__.py": f'{header}\n"""The resources of the client, one module each."""\n',
    }
    template = env.get_template("resource.py.jinja")
    for resource in api.resources:
        files[f"resources/{resource.name}.py"] = template.render(resource=resource, header=header)
    return files


def render_api_report(report: Surface, package: str) -> str:
    """api.md: every resource, method, signature and model, in a stable order."""
    groups: dict[str, list[Method]] = {}
    for method in report.methods.values():
        groups.setdefault(method.group, []).append(method)
    models = sorted(report.models.values(), key=lambda m: m.name)
    return (
        environment()
        .get_template("api.md.jinja")
        .render(surface=report, package=package, groups=list(groups.items()), models=models)
    )


def package_exports(errors: list[str]) -> list[str]:
    runtime = ["AsyncFuture", "Future", "RawResponse", "RequestOptions", "RetryPolicy"]
    lazy = [name for names in LAZY_EXPORTS.values() for name in names]
    return sorted(["AsyncTinker", "DEFAULT_BASE_URL", "Tinker", *runtime, *lazy, *errors])


def runtime_files() -> dict[str, bytes]:
    """The hand-written runtime, copied verbatim."""
    return {
        path.relative_to(RUNTIME).as_posix(): path.read_bytes()
        for path in sorted(RUNTIME.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
