"""Great Expectations (GX 1.x) suites stored as data in `expectations/<asset>.json`.

Each expectation carries in its `meta` the gate name, Code of Practice principle (2.x) and
standard (3.0), severity and rationale. GX validates a DataFrame read over a read-only DuckDB
connection (its SQL data source does not work with DuckDB here). GX reports an internal error as
`success=False` with `exception_info`: that becomes an *error of the check*, not bad data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sources.gates.model import GateResult, GateSpec

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict[str, Any]:
    """The suite document, validated for the metadata every gate must carry."""
    path = suite_path(name)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for i, exp in enumerate(doc.get("expectations", [])):
        meta = exp.get("meta") or {}
        missing = [k for k in ("gate", "principle", "standard", "severity", "rationale") if k not in meta]
        if missing or meta.get("severity") not in ("blocking", "warn"):
            raise ValueError(f"{path}: expectations[{i}] ({exp.get('type')}) needs meta "
                             f"{missing or 'severity blocking|warn'}")
    return doc


def spec_of(meta: dict[str, Any]) -> GateSpec:
    return GateSpec(meta["gate"], str(meta["principle"]), str(meta["standard"]), meta["severity"],
                    meta["rationale"], engine="gx")


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


def run_suite(name: str, asset_key: str, frame: Any) -> list[GateResult]:
    """Validate `frame` (a pandas DataFrame) against suite `name`; one result per expectation."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # imported here: it costs seconds at import
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = load_suite(name)
    configs = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"])
               for e in doc["expectations"]]
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
        examples = _jsonable((detail.get("partial_unexpected_list") or [])[:20])
        results.append(GateResult(spec_of(meta), asset_key, passed=bool(res.success) and not error,
                                  observed=observed, failing_examples=examples,
                                  errored=bool(error)))
    return results
