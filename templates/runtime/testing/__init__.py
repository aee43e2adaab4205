"""A fake Tinker service for tests: the spec's routes, validation and a stateful core.

    from tinker_client.testing import FakeTinker

    fake = FakeTinker(try_again_rounds=2)
    client = fake.client()                      # a Tinker talking to the fake in process
    with fake.serve() as url:                   # or a real HTTP server on 127.0.0.1
        ...

Every operation of the spec is routed and its request validated (404/405/422 otherwise);
sessions, models, training, sampling, checkpoints and futures behave like the service,
deterministically; faults (5xx, 429 with Retry-After, latency) are injected per operation.
`fake.requests` records every request, `fake.applied` every request carried out, in order.
Nothing here is imported by the client itself.
"""

from __future__ import annotations

from ._fake import FakeTinker
from ._futures import Failure
from ._records import Applied, Fault, Reply, Seen

__all__ = ["Applied", "Failure", "FakeTinker", "Fault", "Reply", "Seen"]
