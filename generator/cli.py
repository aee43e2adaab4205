"""Command line: `python -m generator generate|check`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SpecError
from .pipeline import generate
from .write import compare, unified_diff, write_tree

ROOT = Path(__file__).resolve().parent.parent
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
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        output = generate(args.spec, _display(args.spec))
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing written.", file=sys.stderr)
        return 2
    if args.command == "check":
        diff = compare(output.files, args.out)
        if diff.clean:
            print(f"{_display(args.out)} is up to date.")
            return 0
        sys.stdout.write(unified_diff(output.files, args.out, diff))
        print(
            f"\n{_display(args.out)} is stale ({diff.count} file(s)); run: {UPDATE_COMMAND}", file=sys.stderr
        )
        return 1
    diff = write_tree(output.files, args.out)
    api = output.api
    print(
        f"{len(api.models)} models, {len(api.resources)} resources, {len(api.operations)} operations;"
        f" {diff.count} file(s) changed in {_display(args.out)} ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _display(path: Path) -> str:
    """`path` relative to the working directory when inside it (no absolute paths in output)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
