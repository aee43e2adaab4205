"""Command line: `python -m generator generate|check`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build import build
from .errors import SpecError
from .load import load
from .paths import ROOT
from .pipeline import generate
from .review import Review, accept, compare, render, surface
from .write import compare as compare_tree
from .write import unified_diff

DEFAULT_SPEC = ROOT / "spec" / "tinker.yaml"
DEFAULT_OUT = ROOT / "generated" / "tinker_client"
UPDATE_COMMAND = "make generate"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("generate", "write the client package generated from the spec"),
        ("check", "exit 1 with a diff when the generated package is not what the spec gives"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the OpenAPI document")
        sub.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the package folder")
    diff_command = commands.add_parser(
        "diff",
        help="judge the API change between two specs for the Python client",
        description="Exit 0 when nothing breaking, 1 when a break is not accepted, 2 on bad input.",
    )
    diff_command.add_argument("old", type=Path, help="the spec before")
    diff_command.add_argument("new", type=Path, help="the spec after")
    diff_command.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    diff_command.add_argument(
        "--accept", type=Path, help="YAML list of accepted breaks: {symbol, rule, reason}"
    )
    diff_command.add_argument(
        "--old-name", help="how to name the old spec in the report (e.g. main:spec/tinker.yaml)"
    )
    args = parser.parse_args(argv)
    if args.command == "diff":
        return api_diff(args)
    started = time.perf_counter()
    try:
        output = generate(
            args.spec, _display(args.spec), out=args.out if args.command == "generate" else None
        )
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing written.", file=sys.stderr)
        return 2
    except OSError as exc:  # the output folder (the spec was read and checked already)
        print(f"{_display(args.out)}: cannot write the package: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last resort: a generator bug is one line, never a traceback
        print(_internal_error(args.spec, exc), file=sys.stderr)
        return 2
    if args.command == "check":
        diff = compare_tree(output.files, args.out)
        if diff.clean:
            print(f"{_display(args.out)} is up to date.")
            return 0
        sys.stdout.write(unified_diff(output.files, args.out, diff))
        print(
            f"\n{_display(args.out)} is stale ({diff.count} file(s)); run: {UPDATE_COMMAND}", file=sys.stderr
        )
        return 1
    assert output.written is not None
    api = output.api
    print(
        f"{len(api.models)} models, {len(api.resources)} resources, {len(api.operations)} operations;"
        f" {output.written.count} file(s) changed in {_display(args.out)} ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def api_diff(args: argparse.Namespace) -> int:
    old_name = args.old_name or _display(args.old)
    try:
        old = surface(build(load(args.old, old_name)))
        new = surface(build(load(args.new, _display(args.new))))
        changes = accept(compare(old, new), args.accept)
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except Exception as exc:  # the last resort, as in main()
        print(_internal_error(args.new, exc), file=sys.stderr)
        return 2
    review = Review(changes, old_name, _display(args.new))
    sys.stdout.write(render(review, args.format))
    return review.exit_code


def _internal_error(spec: Path, exc: Exception) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return f"{_display(spec)}: internal error of the generator (nothing written): {text}"


def _display(path: Path) -> str:
    """`path` relative to the working directory when inside it (no absolute paths in output)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
