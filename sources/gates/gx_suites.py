"""Great Expectations (GX 1.x) suites stored as data in `expectations/<mart>.json`.

GX owns the gates over a published mart's values and distributions. Each expectation names its
gate in `meta.gate`; the gate's thresholds (from the registry) are merged into its kwargs, so a
number is written once. GX validates a DataFrame read over a read-only DuckDB connection (its SQL
data source does not work with DuckDB here). GX reports an internal error as `success=False` with
`exception_info`: that becomes an *error of the check*, not bad data.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from sources.gates.model import GateResult
from sources.gates.registry import gate

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict[str, Any]:
    """The suite document; every expectation must name a registered GX gate."""
    path = suite_path(name)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for i, exp in enumerate(doc.get("expectations", [])):
        where = f"{path.name}: expectations[{i}] ({exp.get('type')})"
        registered = gate((exp.get("meta") or {}).get("gate"), where=where)
        if registered.engine != "gx":
            raise ValueError(f"{where} implements gate {registered.name!r}, which the registry "
                             f"gives to {registered.engine}")
    return doc


def check_names(doc: dict[str, Any]) -> list[str]:
    """One check name per expectation: the gate's name, with the column when a gate repeats."""
    gates = [e["meta"]["gate"] for e in doc["expectations"]]
    repeated = {g for g, n in Counter(gates).items() if n > 1}
    return [f"{g}__{e['kwargs'].get('column', i)}" if g in repeated else g
            for i, (g, e) in enumerate(zip(gates, doc["expectations"], strict=True))]


def checks(name: str) -> list[tuple[str, str]]:
    """(check name, gate name) of every expectation in suite `name`, without running GX."""
    doc = load_suite(name)
    return list(zip(check_names(doc), [e["meta"]["gate"] for e in doc["expectations"]],
                    strict=True))


def _raised(info: Any) -> str | None:
    """The first exception message anywhere in GX's (possibly nested) exception_info."""
    if isinstance(info, dict):
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "GX raised an exception")
        for value in info.values():
            found = _raised(value)
            if found:
                return found
    return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _examined(detail: dict[str, Any]) -> int | None:
    """Values the expectation judged: non-missing elements (after any row condition)."""
    count = detail.get("element_count")
    if count is None:
        return None
    return count - (detail.get("missing_count") or 0) if "unexpected_count" in detail else count


def run_suite(name: str, asset_key: str, frame: Any) -> list[GateResult]:
    """Validate `frame` (a pandas DataFrame) against suite `name`; one result per expectation."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # imported here: it costs seconds at import
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = load_suite(name)
    names = check_names(doc)
    configs = []
    for check, exp in zip(names, doc["expectations"], strict=True):
        registered = gate(exp["meta"]["gate"])
        configs.append(ExpectationConfiguration(
            type=exp["type"], kwargs={**exp["kwargs"], **registered.thresholds},
            meta={"gate": registered.name, "check_name": check}))
    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = {"globally": False}
    except Exception:  # noqa: BLE001 - cosmetic setting; older/newer GX may refuse it
        pass
    batch = (context.data_sources.add_pandas("warehouse").add_dataframe_asset(name)
             .add_batch_definition_whole_dataframe("all")
             .get_batch(batch_parameters={"dataframe": frame}))
    suite = gx.ExpectationSuite(name=name, expectations=[c.to_domain_obj() for c in configs])
    validation = batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                      "partial_unexpected_count": 20})
    results = []
    for res in validation.results:
        doc_res = res.to_json_dict()
        meta = res.expectation_config.meta
        error = _raised(doc_res.get("exception_info"))
        detail = doc_res.get("result") or {}
        observed = {"expectation": res.expectation_config.type,
                    "kwargs": _jsonable(res.expectation_config.kwargs),
                    "element_count": detail.get("element_count"),
                    "unexpected_count": detail.get("unexpected_count"),
                    "observed_value": _jsonable(detail.get("observed_value"))}
        if error:
            observed["error"] = error
        examples = [{"value": v} for v in _jsonable((detail.get("partial_unexpected_list") or [])[:20])]
        examined = _examined(detail)
        if examined is None and "row_condition" not in res.expectation_config.kwargs:
            examined = len(frame)  # an aggregate expectation judged the whole mart
        results.append(GateResult(gate(meta["gate"]), asset_key, passed=bool(res.success) and not error,
                                  check_name=meta["check_name"], examined=examined,
                                  observed=observed, failing_examples=examples,
                                  errored=bool(error)))
    return results
