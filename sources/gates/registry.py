"""The registry of Code of Practice gates (`expectations/gates.yml`): every gate defined once.

dbt tests, GX expectations and Python checks name a gate in their `meta.gate`; its sentence,
principle, standard, severity, thresholds and engine are read from here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sources.gates.model import Gate
from sources.yaml_files import read_yaml

REGISTRY = Path(__file__).resolve().parents[2] / "expectations" / "gates.yml"
REQUIRED = ("engine", "principle", "standard", "severity", "on_empty", "must_hold", "rationale")


class UnknownGate(KeyError):
    """An implementation names a gate the registry does not define."""


@cache
def registry_document(path: Path = REGISTRY) -> dict[str, Any]:
    return read_yaml(path)


def _gate(name: str, entry: dict[str, Any], principles: dict[str, Any], path: Path) -> Gate:
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise ValueError(f"{path}: gate {name!r} lacks {', '.join(missing)}")
    checks = {"engine": ("dbt", "gx", "python"), "severity": ("blocking", "warn"),
              "on_empty": ("not_applicable", "failed")}
    for key, allowed in checks.items():
        if entry[key] not in allowed:
            raise ValueError(f"{path}: gate {name!r}: {key} is {entry[key]!r}, not one of {allowed}")
    group = str(entry["principle"]).split(".")[0]
    if group not in principles:
        raise ValueError(f"{path}: gate {name!r}: principle {entry['principle']!r} is not under "
                         f"`principles` ({', '.join(principles)})")
    for key in ("must_hold", "rationale"):
        if not (entry[key].get("en") and entry[key].get("cy")):
            raise ValueError(f"{path}: gate {name!r}: {key} needs `en` and `cy`")
    return Gate(name=name, engine=entry["engine"], principle=str(entry["principle"]),
                standard=str(entry["standard"]), severity=entry["severity"],
                on_empty=entry["on_empty"], must_hold_en=entry["must_hold"]["en"],
                must_hold_cy=entry["must_hold"]["cy"], rationale_en=entry["rationale"]["en"],
                rationale_cy=entry["rationale"]["cy"],
                guidance=entry.get("guidance") or principles[group]["guidance"],
                thresholds=dict(entry.get("thresholds") or {}),
                population=entry.get("population", "rows"))


@cache
def gates(path: Path = REGISTRY) -> dict[str, Gate]:
    """Every registered gate by name, validated."""
    doc = registry_document(path)
    principles = doc["principles"]
    return {name: _gate(name, entry, principles, path) for name, entry in doc["gates"].items()}


def gate(name: str | None, *, where: str = "") -> Gate:
    """The registered gate `name`; an implementation naming an unknown gate is an error."""
    found = gates().get(name or "")
    if found is None:
        raise UnknownGate(f"{where or 'an implementation'} names gate {name!r}, which "
                          f"{REGISTRY.name} does not define")
    return found


def principles() -> dict[str, dict[str, str]]:
    """The 2.x principles gates are counted under: code -> {en, cy, guidance}."""
    return registry_document()["principles"]


def welsh_status() -> str:
    return registry_document().get("welsh_status", "unreviewed")


def dbt_vars() -> dict[str, Any]:
    """What dbt reads of the registry (`var('gates')`): each dbt gate's thresholds."""
    return {"gates": {name: dict(g.thresholds) for name, g in gates().items()
                      if g.engine == "dbt" and g.thresholds}}
