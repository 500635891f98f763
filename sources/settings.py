"""Run-time settings, read from the environment when asked for (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["snapshot", "live"]

DEFAULT_URLS = {
    "statswales": "https://api.stats.gov.wales/v2",
    "nomis": "https://www.nomisweb.co.uk/api/v01",
    "ons": "https://api.beta.ons.gov.uk/v1",
}
URL_ENV = {
    "statswales": "DATA_CYMRU_STATSWALES_URL",
    "nomis": "DATA_CYMRU_NOMIS_URL",
    "ons": "DATA_CYMRU_ONS_URL",
}
SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


class SettingsError(ValueError):
    """A setting from the environment is invalid."""


@dataclass(frozen=True)
class Settings:
    """Where state lives and how to reach publishers."""

    home: Path
    mode: Mode = "snapshot"
    base_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    contact: str = "opendata@datacymru.example"
    snapshot_dir: Path = SNAPSHOT_DIR
    # Per provider, (requests, seconds), kept exactly: an operator's explicit choice (a mirror, or a
    # limit agreed with the publisher). Empty means the published limits with a safety margin.
    rate_limits: dict[str, tuple[int, float]] = field(default_factory=dict)
    # DuckDB spills to disk beyond this, so peak memory stays bounded whatever the data size.
    duckdb_memory_limit: str = "400MB"
    # Per provider: seconds one request may take, headers and body (`DATA_CYMRU_<P>_DEADLINE`),
    # and the largest body accepted (`DATA_CYMRU_<P>_MAX_BYTES`). Empty means the client's
    # defaults (`sources.http.DEFAULT_DEADLINE`, `DEFAULT_MAX_BYTES`: 120 s, 512 MB).
    deadlines: dict[str, float] = field(default_factory=dict)
    max_bytes: dict[str, int] = field(default_factory=dict)
    # A load that would leave a raw table with fewer than this share of its rows is refused
    # (`DATA_CYMRU_RAW_MIN_ROW_RATIO`); a load of no rows into a table that has rows always is.
    raw_min_row_ratio: float = 0.5

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def rate_limit_dir(self) -> Path:
        """The rate-limit windows every live client of a provider shares on this machine."""
        return self.home / ".ratelimit"

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    @property
    def intake(self) -> Path:
        return self.home / "intake"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from `DATA_CYMRU_*` environment variables."""
        env = dict(os.environ if env is None else env)
        mode = env.get("DATA_CYMRU_MODE", "snapshot").strip().lower()
        if mode not in ("snapshot", "live"):
            raise SettingsError(
                f"DATA_CYMRU_MODE must be 'snapshot' or 'live', not {mode!r}"
            )
        urls = {
            provider: env.get(var) or DEFAULT_URLS[provider] for provider, var in URL_ENV.items()
        }
        return cls(
            home=Path(env.get("DATA_CYMRU_HOME", "data")).resolve(),
            mode=mode,  # type: ignore[arg-type]
            base_urls={k: v.rstrip("/") for k, v in urls.items()},
            contact=env.get("DATA_CYMRU_CONTACT", cls.contact),
            snapshot_dir=Path(env.get("DATA_CYMRU_SNAPSHOT_DIR") or SNAPSHOT_DIR).resolve(),
            rate_limits={p: _rate(env, f"DATA_CYMRU_{p.upper()}_RATE_LIMIT") for p in DEFAULT_URLS
                         if env.get(f"DATA_CYMRU_{p.upper()}_RATE_LIMIT")},
            duckdb_memory_limit=env.get("DATA_CYMRU_DUCKDB_MEMORY_LIMIT", "400MB"),
            deadlines={p: _seconds(env, f"DATA_CYMRU_{p.upper()}_DEADLINE") for p in DEFAULT_URLS
                       if env.get(f"DATA_CYMRU_{p.upper()}_DEADLINE")},
            max_bytes={p: _size(env, f"DATA_CYMRU_{p.upper()}_MAX_BYTES") for p in DEFAULT_URLS
                       if env.get(f"DATA_CYMRU_{p.upper()}_MAX_BYTES")},
            raw_min_row_ratio=_ratio(env, "DATA_CYMRU_RAW_MIN_ROW_RATIO", cls.raw_min_row_ratio),
        )


def _rate(env: dict[str, str], name: str) -> tuple[int, float]:
    """`100/60` means at most 100 requests in any 60 seconds."""
    text = env[name]
    try:
        calls, period = text.split("/")
        return int(calls), float(period)
    except ValueError:
        raise SettingsError(f"{name} must look like '100/60' (requests/seconds), not {text!r}") from None


def _seconds(env: dict[str, str], name: str) -> float:
    """A positive number of seconds, e.g. `120` or `0.5`."""
    text = env[name]
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name} must be a positive number of seconds, not {text!r}")
    return value


SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def _size(env: dict[str, str], name: str) -> int:
    """A positive size in bytes: `1048576`, or with a unit, `512MB` (KB, MB, GB are powers of 1024)."""
    text = env[name]
    compact = text.strip().upper().replace(" ", "")
    number = compact.rstrip("KMGB")
    unit = compact[len(number):]
    try:
        value = int(float(number) * SIZE_UNITS[unit])
    except (KeyError, ValueError):
        value = 0
    if value <= 0:
        raise SettingsError(f"{name} must be a size such as 512MB, 64KB or 1048576, not {text!r}")
    return value


def _ratio(env: dict[str, str], name: str, default: float) -> float:
    """A share from 0 to 1; 0 turns the proportional check off."""
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise SettingsError(f"{name} must be a number from 0 to 1 (e.g. 0.5), not {text!r}")
    return value
