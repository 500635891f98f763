"""The source catalogue (`catalogue.yaml`) as typed, validated objects.

A bad entry fails when the catalogue is read, with a message naming the entry and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sources.yaml_files import read_yaml

CATALOGUE_PATH = Path(__file__).parent / "catalogue.yaml"
PROVIDERS = ("statswales", "nomis", "ons")
LANGUAGES = {"statswales": ("en-gb", "cy-gb")}
# How a StatsWales dimension without a known English name is recognised from its values.
DIMENSION_MATCHES = ("gss", "period")
STATSWALES_FORMATS = ("json", "csv")
_ID = re.compile(r"^(statswales|nomis|ons)__[a-z0-9_]+$")
_TYPES = {"VARCHAR", "DOUBLE", "BIGINT", "INTEGER", "DATE"}
_CRON = re.compile(r"^(\S+\s+){4}\S+$")
_SCHEDULE = re.compile(r"^[a-z][a-z0-9_]*_refresh$")


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
        """The wire header in a language (Nomis and ONS; StatsWales headers come from the API)."""
        if not self.headers:
            raise KeyError(f"column {self.name!r}: its wire header is read from the API")
        return self.headers.get(lang[:2], self.headers["en"])


@dataclass(frozen=True)
class Dimension:
    """A StatsWales dimension, named by its role in this platform (`area`, `period`, ...).

    Its display names differ by language and are read from the API at fetch time
    (`sources/statswales_columns.py`); the catalogue holds only what identifies it: the English
    name seen in the publisher's output (`en`, with evidence), or, where there is no evidence,
    what its reference values look like (`match`: GSS codes or periods).
    """

    name: str
    en: str | None = None
    match: str | None = None

    @property
    def columns(self) -> tuple[str, str, str]:
        """Raw columns: reference code, label in the file's language, parent in the hierarchy."""
        return f"{self.name}_code", f"{self.name}_name", f"{self.name}_parent_code"

    def describe(self) -> str:
        return f"{self.name!r} ({f'English name {self.en!r}' if self.en else f'values like {self.match}'})"


# Raw columns every StatsWales table has after its dimensions' columns.
STATSWALES_MEASURE_COLUMNS = ("measure_code", "measure_name", "value", "notes")


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
    dimensions: tuple[Dimension, ...] = field(default_factory=tuple)
    evidence: str = ""
    # The named schedule that refreshes this dataset (datasets sharing one share its cadence).
    schedule: str = ""
    # How old the last successful fetch and load may become before the dataset counts as stale.
    max_age_days: int = 0

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


def _dimension(key: str, index: int, spec: Any) -> Dimension:
    where = f"catalogue entry {key!r}: dimensions[{index}]"
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise CatalogueError(f"{where} needs a 'name' (its role, such as area or period)")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", spec["name"]) or spec["name"] == "measure":
        raise CatalogueError(f"{where}: name {spec['name']!r} must be lower_snake_case and not 'measure'")
    if ("en" in spec) == ("match" in spec):
        raise CatalogueError(f"{where} ({spec['name']}): give exactly one of 'en' (the English "
                             f"name the publisher uses) or 'match' (one of {DIMENSION_MATCHES})")
    if "match" in spec and spec["match"] not in DIMENSION_MATCHES:
        raise CatalogueError(f"{where} ({spec['name']}): match {spec['match']!r} is not one of "
                             f"{DIMENSION_MATCHES}")
    return Dimension(spec["name"], spec.get("en"), spec.get("match"))


def _check_statswales_request(key: str, request: dict[str, Any], dims: tuple[Dimension, ...]) -> None:
    if len({d.name for d in dims}) != len(dims):
        raise CatalogueError(f"catalogue entry {key!r}: dimension names must be unique")
    if request.get("format", "json") not in STATSWALES_FORMATS:
        raise CatalogueError(f"catalogue entry {key!r}: request.format must be one of "
                             f"{STATSWALES_FORMATS}")
    roles = {d.name for d in dims} | {"measure"}
    for role, values in (request.get("filter") or {}).items():
        if role not in roles or not isinstance(values, list) or not values:
            raise CatalogueError(
                f"catalogue entry {key!r}: request.filter.{role} must name a dimension "
                f"({', '.join(sorted(roles))}) and list the English descriptions to keep")


def statswales_columns(dims: tuple[Dimension, ...]) -> tuple[Column, ...]:
    """The raw columns of a StatsWales table: stable names, whatever the language of the file."""
    names = [c for d in dims for c in d.columns] + list(STATSWALES_MEASURE_COLUMNS)
    keys = {d.columns[0] for d in dims} | {"measure_code"}
    return tuple(Column(n, {}, "VARCHAR", n in keys) for n in names)


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
    schedule = entry.get("schedule", f"{key}_refresh")
    if not isinstance(schedule, str) or not _SCHEDULE.match(schedule):
        raise CatalogueError(f"catalogue entry {key!r}: schedule {schedule!r} must be a lower_snake_case "
                             "name ending in '_refresh' that says what it refreshes, e.g. "
                             "'statswales_annual_refresh'")
    max_age = _require(entry, key, "max_age_days", int)
    if isinstance(max_age, bool) or max_age < 1:
        raise CatalogueError(f"catalogue entry {key!r}: max_age_days must be a whole number of days "
                             f"of at least 1 (how old its data may become), got {max_age!r}")
    dimensions: tuple[Dimension, ...] = ()
    if provider == "statswales":
        if "columns" in entry:
            raise CatalogueError(
                f"catalogue entry {key!r}: StatsWales columns are read from the API; "
                "name the dataset's 'dimensions' instead of 'columns'")
        dimensions = tuple(_dimension(key, i, d) for i, d in
                           enumerate(_require(entry, key, "dimensions", list)))
        _check_statswales_request(key, entry.get("request") or {}, dimensions)
        columns = statswales_columns(dimensions)
    else:
        columns = tuple(
            _column(key, i, c) for i, c in enumerate(_require(entry, key, "columns", list))
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
        dimensions=dimensions,
        evidence=str(entry.get("evidence", "")),
        schedule=schedule,
        max_age_days=max_age,
    )


def _check_schedules(datasets: dict[str, Dataset], path: Path) -> None:
    """Datasets refreshed by one named schedule must agree on its cadence."""
    first: dict[str, Dataset] = {}
    for dataset in datasets.values():
        other = first.setdefault(dataset.schedule, dataset)
        if other.cadence != dataset.cadence:
            raise CatalogueError(
                f"{path}: catalogue entries {other.key!r} and {dataset.key!r} share schedule "
                f"{dataset.schedule!r} but not its cadence ({other.cadence!r} vs {dataset.cadence!r}): "
                "give them one cadence or different schedules")


def load_catalogue(path: Path = CATALOGUE_PATH) -> dict[str, Dataset]:
    """Read and validate the whole catalogue."""
    doc = read_yaml(path)
    entries = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise CatalogueError(f"{path}: expected a non-empty 'datasets' mapping")
    datasets = {key: parse_entry(key, entry or {}) for key, entry in entries.items()}
    _check_schedules(datasets, path)
    return datasets


@cache
def catalogue() -> dict[str, Dataset]:
    """The bundled catalogue, read once per process."""
    return load_catalogue()
