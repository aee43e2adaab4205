"""`python -m tinker_client.testing [--port N] [--try-again-rounds N]`: serve a fake on 127.0.0.1."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from ._fake import FakeTinker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinker_client.testing", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--try-again-rounds", type=int, default=0, help="try_again answers per future")
    parser.add_argument("--session-timeout", type=float, default=None, help="seconds without heartbeat")
    args = parser.parse_args(argv)
    fake = FakeTinker(try_again_rounds=args.try_again_rounds, session_timeout=args.session_timeout)
    with fake.serve(args.port) as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
