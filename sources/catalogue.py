"""The source catalogue (`catalogue.yaml`) as typed, validated objects.

A bad entry fails when the catalogue is read, with a message naming the entry and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_PATH = Path(__file__).parent / "catalogue.yaml"
PROVIDERS = ("statswales", "nomis", "ons")
LANGUAGES = {"statswales": ("en-gb", "cy-gb")}
_ID = re.compile(r"^(statswales|nomis|ons)__[a-z0-9_]+$")
_TYPES = {"VARCHAR", "DOUBLE", "BIGINT", "INTEGER", "DATE"}
_CRON = re.compile(r"^(\S+\s+){4}\S+$")


class CatalogueError(ValueError):
    """The catalogue has an invalid entry."""


@dataclass(frozen=True)
class Column:
    """One expected wire column: canonical name, header per language, raw type."""

    name: str
    headers: dict[str, str]
    type: str = "VARCHAR"
    key: bool = False

    def header(self, lang: str) -> str:
        return self.headers.get(lang[:2], self.headers["en"])


@dataclass(frozen=True)
class Dataset:
    """One catalogue entry."""

    key: str
    provider: str
    dataset_id: str
    title_en: str
    title_cy: str
    cadence: str
    licence: str
    marts: tuple[str, ...]
    request: dict[str, Any]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.key.split("__", 1)[1]

    @property
    def raw_table(self) -> str:
        return f"raw.{self.key}"

    @property
    def languages(self) -> tuple[str, ...]:
        return LANGUAGES.get(self.provider, ("en-gb",))


def _require(entry: dict[str, Any], key: str, fieldname: str, kind: type) -> Any:
    if fieldname not in entry:
        raise CatalogueError(f"catalogue entry {key!r}: missing field {fieldname!r}")
    value = entry[fieldname]
    if not isinstance(value, kind):
        raise CatalogueError(
            f"catalogue entry {key!r}: field {fieldname!r} must be {kind.__name__}, "
            f"got {type(value).__name__}"
        )
    return value


def _column(key: str, index: int, spec: dict[str, Any]) -> Column:
    where = f"catalogue entry {key!r}: columns[{index}]"
    if not isinstance(spec, dict) or "name" not in spec or "en" not in spec:
        raise CatalogueError(f"{where} needs at least 'name' and 'en'")
    col_type = str(spec.get("type", "VARCHAR")).upper()
    if col_type not in _TYPES:
        raise CatalogueError(f"{where} ({spec['name']}): unknown type {col_type!r}")
    headers = {"en": str(spec["en"])}
    if "cy" in spec:
        headers["cy"] = str(spec["cy"])
    return Column(str(spec["name"]), headers, col_type, bool(spec.get("key", False)))


def parse_entry(key: str, entry: dict[str, Any]) -> Dataset:
    """Validate one catalogue entry and build its `Dataset`."""
    if not _ID.match(key):
        raise CatalogueError(
            f"catalogue entry {key!r}: id must look like '<provider>__<dataset>' "
            f"in lower case, with provider one of {PROVIDERS}"
        )
    provider = _require(entry, key, "provider", str)
    if provider != key.split("__")[0]:
        raise CatalogueError(f"catalogue entry {key!r}: provider {provider!r} does not match id")
    cadence = _require(entry, key, "cadence", str)
    if not _CRON.match(cadence.strip()):
        raise CatalogueError(f"catalogue entry {key!r}: cadence {cadence!r} is not a cron string")
    columns = tuple(
        _column(key, i, c) for i, c in enumerate(_require(entry, key, "columns", list))
    )
    if provider == "statswales" and any("cy" not in c.headers for c in columns):
        raise CatalogueError(
            f"catalogue entry {key!r}: every StatsWales column needs a Welsh header ('cy')"
        )
    return Dataset(
        key=key,
        provider=provider,
        dataset_id=str(_require(entry, key, "dataset_id", str)),
        title_en=_require(entry, key, "title_en", str),
        title_cy=_require(entry, key, "title_cy", str),
        cadence=cadence,
        licence=_require(entry, key, "licence", str),
        marts=tuple(_require(entry, key, "marts", list)),
        request=dict(entry.get("request") or {}),
        columns=columns,
    )


def load_catalogue(path: Path = CATALOGUE_PATH) -> dict[str, Dataset]:
    """Read and validate the whole catalogue."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise CatalogueError(f"{path}: expected a non-empty 'datasets' mapping")
    return {key: parse_entry(key, entry or {}) for key, entry in entries.items()}


@cache
def catalogue() -> dict[str, Dataset]:
    """The bundled catalogue, read once per process."""
    return load_catalogue()
