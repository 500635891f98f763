"""System programs some tests need (Chromium, PostgreSQL): found, or a clear reason why not.

`.ci/run` installs them and sets `CI`; there a missing one fails its test, so a green build
never hides an untested part. On a developer's machine the test is skipped, saying what to install.
"""

from __future__ import annotations

import os
import socket

import pytest


def require_or_skip(found: object, what: str, install: str) -> None:
    """Fail in CI, skip elsewhere, when `found` is empty."""
    if found:
        return
    message = f"{what} is not installed ({install}; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
