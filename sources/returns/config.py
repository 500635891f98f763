"""Limits and open collections for the returns intake, read from the environment when asked for."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sources.returns.reference import is_financial_year
from sources.settings import SettingsError

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReturnsConfig:
    """What the intake accepts.

    `open_collections` are financial years councils may submit for; `max_bytes` caps a file as
    received; `max_unzipped_bytes` and `max_ratio` cap what an XLSX may expand to before it is
    opened; `settle_seconds` is how long a dropped file must sit unchanged before it is read,
    so a file still being copied in is never taken half-written. `max_problems_per_check` is how
    many problems of one check are listed in the report and the audit trail (0: all); the rest
    are counted on one line. `max_rows` and `max_columns` bound the cells read from a workbook's
    sheet (header row included): a few bytes of XML can claim a million cells.
    """

    open_collections: tuple[str, ...] = ("2023-24", "2024-25")
    max_bytes: int = 10 * MIB
    max_unzipped_bytes: int = 50 * MIB
    max_ratio: float = 100.0
    max_zip_members: int = 500
    settle_seconds: float = 2.0
    max_problems_per_check: int = 50
    max_rows: int = 10_000
    max_columns: int = 50

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ReturnsConfig:
        """Build the config from `DATA_CYMRU_RETURNS_*` environment variables."""
        env = dict(os.environ if env is None else env)
        collections = tuple(c.strip() for c in env.get(
            "DATA_CYMRU_RETURNS_COLLECTIONS", ",".join(cls.open_collections)).split(",") if c.strip())
        bad = [c for c in collections if not is_financial_year(c)]
        if bad or not collections:
            raise SettingsError("DATA_CYMRU_RETURNS_COLLECTIONS must list financial years such as "
                                f"'2023-24,2024-25', not {bad or collections!r}")
        return cls(
            open_collections=collections,
            max_bytes=_number(env, "DATA_CYMRU_RETURNS_MAX_BYTES", cls.max_bytes, int),
            max_unzipped_bytes=_number(env, "DATA_CYMRU_RETURNS_MAX_UNZIPPED_BYTES",
                                       cls.max_unzipped_bytes, int),
            max_ratio=_number(env, "DATA_CYMRU_RETURNS_MAX_RATIO", cls.max_ratio, float),
            settle_seconds=_number(env, "DATA_CYMRU_RETURNS_SETTLE_SECONDS", cls.settle_seconds, float),
            max_problems_per_check=_number(env, "DATA_CYMRU_RETURNS_MAX_PROBLEMS_PER_CHECK",
                                           cls.max_problems_per_check, int),
            max_rows=_number(env, "DATA_CYMRU_RETURNS_MAX_ROWS", cls.max_rows, int),
            max_columns=_number(env, "DATA_CYMRU_RETURNS_MAX_COLUMNS", cls.max_columns, int),
        )


def _number(env: dict[str, str], name: str, default: float, kind: type) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, not {raw!r}")
    return value
