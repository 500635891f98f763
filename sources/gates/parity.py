"""The bilingual-parity gates of a release: `release_bilingual` (blocking), `welsh_reviewed` (warn).

They look at what a release shows a person: every `_en`/`_cy` pair of its `metadata.json`
(titles, descriptions, status, licences, the column dictionary), the catalogue strings of its
report (extracted from the template as Babel does) and of its enumerated values, and the gate
registry's sentences the report quotes. Missing Welsh, or Welsh whose `{placeholders}` differ from
the English, blocks the release; Welsh a translator has not reviewed is counted and warns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2.ext import babel_extract

from sources.gates.model import GateResult
from sources.gates.registry import gate, gates, principles, welsh_status
from sources.i18n import placeholders, status, welsh_entries
from sources.labels import ENUM_LABELS
from sources.release import STATUS_LABELS

TEMPLATE_KEYWORDS = ("t", "tr", "both")
EXAMPLES_SHOWN = 20
OWN_GATES = ("release_bilingual", "welsh_reviewed")


def template_msgids() -> list[str]:
    """The catalogue strings of the compliance report template, found as `make i18n` finds them."""
    from sources.report import TEMPLATE, TEMPLATES  # the report module needs Jinja, loaded late

    with (TEMPLATES / TEMPLATE).open("rb") as handle:
        found = babel_extract(handle, TEMPLATE_KEYWORDS, [], {})
        return sorted({m if isinstance(m, str) else m[0] for _line, _f, m, _c in found if m})


def metadata_pairs(doc: Any, where: str = "") -> Iterator[tuple[str, str, Any, Any, Any]]:
    """(where, key, English, Welsh, Welsh status) of every `<key>_en` in a document, at any depth."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key.endswith("_en") and isinstance(value, str | type(None)):
                base = key[:-3]
                yield (where, base, value, doc.get(f"{base}_cy"), doc.get(f"{base}_cy_status"))
            elif isinstance(value, dict | list):
                yield from metadata_pairs(value, f"{where}.{key}" if where else key)
    elif isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from metadata_pairs(item, f"{where}[{i}]")


def _catalogue_problems(msgids: list[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Missing or mismatched Welsh of catalogue strings; and those that are unreviewed."""
    entries = welsh_entries()
    problems, unreviewed = [], []
    for msgid in msgids:
        found = status(msgid)
        if found == "missing":
            problems.append({"where": "catalogue", "string": msgid, "problem": "no Welsh"})
            continue
        if any(placeholders(cy) != placeholders(msgid) for cy in entries[msgid].cy[:1]):
            problems.append({"where": "catalogue", "string": msgid,
                             "problem": "placeholders differ"})
        if found == "unreviewed":
            unreviewed.append(msgid)
    return problems, unreviewed


def _registry_pairs(used: set[str]) -> list[tuple[str, str, str, str, str]]:
    """The registry sentences and principle names the report quotes for the gates `used`."""
    reviewed = "reviewed" if welsh_status() == "reviewed" else "unreviewed"
    pairs = []
    for name in sorted(g for g in used if g in gates()):
        g = gate(name)
        pairs += [(f"gates.yml:{name}", "must_hold", g.must_hold_en, g.must_hold_cy, reviewed),
                  (f"gates.yml:{name}", "rationale", g.rationale_en, g.rationale_cy, reviewed)]
    for code, p in principles().items():
        pairs.append((f"gates.yml:principles.{code}", "name", p.get("en"), p.get("cy"), reviewed))
    return pairs


def parity(metadata: dict[str, Any], enum_values: dict[str, list[str]],
           gates_used: Iterable[str] = ()) -> dict[str, Any]:
    """Every string a release shows, checked: the counts and the problems found."""
    problems: list[dict[str, str]] = []
    unreviewed: Counter[str] = Counter()
    used = {*gates_used, *OWN_GATES}
    pairs = list(metadata_pairs(metadata)) + _registry_pairs(used)
    for where, key, en, cy, cy_status in pairs:
        if not en:
            continue
        if not cy:
            problems.append({"where": where or "metadata", "string": key, "problem": "no Welsh"})
        elif placeholders(en) != placeholders(cy):
            problems.append({"where": where or "metadata", "string": key,
                             "problem": "placeholders differ"})
        elif cy_status in (None, "unreviewed"):
            # A pair with no recorded status has not been reviewed as far as anyone can show.
            unreviewed[where.split("[")[0].split(":")[0] or "metadata"] += 1
    msgids = template_msgids() + list(STATUS_LABELS.values())
    for column, values in enum_values.items():
        labels = ENUM_LABELS.get(column, {})
        problems += [{"where": f"column {column}", "string": v, "problem": "no words for this value"}
                     for v in values if v not in labels]
        msgids += [labels[v] for v in values if v in labels]
    catalogue_problems, catalogue_unreviewed = _catalogue_problems(sorted(set(msgids)))
    problems += catalogue_problems
    if catalogue_unreviewed:
        unreviewed["catalogue"] = len(catalogue_unreviewed)
    return {"strings": len(pairs) + len(set(msgids)), "problems": problems,
            "unreviewed": sum(unreviewed.values()), "unreviewed_by_source": dict(sorted(unreviewed.items()))}


def parity_gates(metadata: dict[str, Any], enum_values: dict[str, list[str]], asset_key: str,
                 gates_used: Iterable[str] = ()) -> list[GateResult]:
    """`release_bilingual` (missing Welsh blocks) and `welsh_reviewed` (unreviewed Welsh warns).

    `gates_used`: the gates whose sentences the release's report quotes (besides these two).
    """
    found = parity(metadata, enum_values, gates_used)
    observed = {k: v for k, v in found.items() if k != "problems"} | {"missing": len(found["problems"])}
    return [
        GateResult(gate("release_bilingual"), asset_key, passed=not found["problems"],
                   examined=found["strings"], observed=observed,
                   failing_examples=found["problems"][:EXAMPLES_SHOWN]),
        GateResult(gate("welsh_reviewed"), asset_key, passed=not found["unreviewed"],
                   examined=found["strings"], observed=observed,
                   failing_examples=[{"source": s, "unreviewed": n}
                                     for s, n in found["unreviewed_by_source"].items()]),
    ]
