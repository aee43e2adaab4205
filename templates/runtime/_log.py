"""Logging of the client (`TINKER_LOG=info|debug`); request headers appear with the key redacted."""

from __future__ import annotations

import logging
import os

import httpx

__all__ = ["configure_logging", "log_response", "log_retry"]

LOG_ENV = "TINKER_LOG"

logger = logging.getLogger(__name__.rpartition(".")[0] or __name__)


def configure_logging() -> None:
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)


def log_response(request: httpx.Request, response: httpx.Response, attempt: int) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info("%s %s -> %d (attempt %d)", request.method, request.url, response.status_code, attempt + 1)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("request headers: %r", request.headers)  # RedactedHeaders: the key shows as [secure]


def log_retry(request: httpx.Request, attempt: int, delay: float, reason: str) -> None:
    logger.info(
        "retrying %s %s in %.2f s after %s (attempt %d)",
        request.method,
        request.url,
        delay,
        reason,
        attempt + 2,
    )
