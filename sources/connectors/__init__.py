"""Connectors: how to page through each publisher's API. The catalogue says what to fetch."""

from __future__ import annotations

from collections.abc import Callable

from sources.connectors import nomis, ons, statswales
from sources.connectors.base import FetchContext

CONNECTORS: dict[str, Callable[[FetchContext], None]] = {
    "statswales": statswales.fetch,
    "nomis": nomis.fetch,
    "ons": ons.fetch,
}

__all__ = ["CONNECTORS", "FetchContext"]
