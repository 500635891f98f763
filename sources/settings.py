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

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

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
        )
