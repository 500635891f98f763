"""The gate registry: every gate once, every implementation naming a registered gate of its own
engine, every registered gate implemented, and a gate that examined nothing never passing."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from sources.gates.dbt_results import check_names, dbt_tests, gate_of_test
from sources.gates.gx_suites import EXPECTATIONS_DIR, load_suite
from sources.gates.model import GateResult
from sources.gates.registry import REGISTRY, UnknownGate, gate, gates

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"
# A Python gate is a call `gate("<name>")` in the code that runs it.
PYTHON_GATE = re.compile(r"""\bgate\(\s*["']([a-z_]+)["']\s*\)""")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def implementations(manifest: dict) -> dict[str, set[str]]:
    """Gate name -> the engines whose code names it."""
    found: dict[str, set[str]] = defaultdict(set)
    for node in dbt_tests(manifest).values():
        meta = {**(node.get("meta") or {}), **(node["config"].get("meta") or {})}
        found[meta.get("gate")].add("dbt")
    for path in EXPECTATIONS_DIR.glob("mart_*.json"):
        for exp in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            found[exp["meta"].get("gate")].add("gx")
    for path in (ROOT / "sources").rglob("*.py"):
        for name in PYTHON_GATE.findall(path.read_text(encoding="utf-8")):
            found[name].add("python")
    return found


def test_every_implementation_names_a_registered_gate(manifest):
    unknown = sorted(str(g) for g in implementations(manifest) if g not in gates())
    assert not unknown, f"implementations name gates that {REGISTRY.name} lacks: {unknown}"


def test_no_gate_is_implemented_by_two_engines(manifest):
    twice = {g: sorted(e) for g, e in implementations(manifest).items() if len(e) > 1}
    assert not twice, f"gates implemented by more than one engine: {twice}"


def test_every_registered_gate_is_implemented_by_its_engine(manifest):
    found = implementations(manifest)
    wrong = {name: (g.engine, sorted(found.get(name, ())))
             for name, g in gates().items() if found.get(name) != {g.engine}}
    assert not wrong, f"registered engine vs implementations: {wrong}"


def test_dbt_severity_agrees_with_the_registry(manifest):
    """dbt needs a test's severity to decide what its build skips; it must be the registry's."""
    wrong = {uid: (n["config"].get("severity"), gate_of_test(n).severity)
             for uid, n in dbt_tests(manifest).items()
             if (n["config"].get("severity", "ERROR").lower() == "warn")
             != (gate_of_test(n).severity == "warn")}
    assert not wrong


def test_implementations_carry_only_the_gate_name(manifest):
    for node in dbt_tests(manifest).values():
        extra = set(node["config"].get("meta") or {}) - {"gate"}
        assert not extra, f"{node['unique_id']} repeats {extra} from the registry"
    for path in EXPECTATIONS_DIR.glob("mart_*.json"):
        for exp in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            assert set(exp["meta"]) == {"gate"}, path.name
            thresholds = gate(exp["meta"]["gate"]).thresholds
            assert not set(thresholds) & set(exp["kwargs"]), f"{path.name} repeats thresholds"


def test_check_names_are_short_and_unique_on_each_asset(manifest):
    names = check_names(manifest)
    assert len(names) == len(dbt_tests(manifest))
    assert max(len(n) for n in names.values()) <= 60, sorted(names.values(), key=len)[-3:]
    by_asset = defaultdict(list)
    for uid, node in dbt_tests(manifest).items():
        by_asset[node.get("attached_node") or str(node["depends_on"]["nodes"])].append(names[uid])
    for asset, found in by_asset.items():
        assert len(found) == len(set(found)), asset


def test_an_unknown_or_foreign_gate_is_refused(tmp_path, monkeypatch):
    with pytest.raises(UnknownGate, match="no_such_gate"):
        gate("no_such_gate", where="a test")
    suite = {"name": "x", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
         "meta": {"gate": "unique_natural_key"}}]}
    (tmp_path / "x.json").write_text(json.dumps(suite))
    monkeypatch.setattr("sources.gates.gx_suites.EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(ValueError, match="gives to dbt"):
        load_suite("x")


def test_every_gate_has_both_languages_and_a_guidance_link():
    for g in gates().values():
        assert g.must_hold_en and g.must_hold_cy and g.rationale_en and g.rationale_cy
        assert g.guidance.startswith("https://")
        assert g.principle_group[0] in "TQV"


@pytest.mark.parametrize("name", sorted(gates()))
def test_a_gate_that_examined_nothing_did_not_pass(name):
    registered = gate(name)
    result = GateResult(registered, "marts/x", passed=True, examined=0)
    assert result.outcome != "passed"
    expected = ("not_applicable" if registered.on_empty == "not_applicable"
                else "failed" if registered.severity == "blocking" else "warned")
    assert result.outcome == expected
    assert result.blocks == (registered.on_empty == "failed" and registered.severity == "blocking")
    assert GateResult(registered, "marts/x", passed=True, examined=3).outcome == "passed"
