"""The static, bilingual compliance report written with each release."""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from typing import Any

from sources.gates.model import GateResult

PILLARS = {"T": ("Trustworthiness", "Dibynadwyedd"), "Q": ("Quality", "Ansawdd"),
           "V": ("Value", "Gwerth")}
OUTCOME_CY = {"passed": "wedi pasio", "warned": "rhybudd", "failed": "wedi methu",
              "error": "gwall"}
STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top}.passed{color:#05691c}.warned{color:#8a5a00}
.failed,.error{color:#b00020;font-weight:bold}.notice{background:#fff4ce;padding:.6rem;border:1px
solid #e0c060}code{font-size:.85em}"""


def render_report(*, mart: str, metadata: dict[str, Any], results: list[GateResult],
                  history: list[dict[str, Any]]) -> str:
    """HTML: gates grouped by principle, their history over past runs, failing examples."""
    by_principle: dict[str, list[GateResult]] = defaultdict(list)
    for r in results:
        by_principle[r.spec.principle].append(r)
    past: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in history:
        past[(row["check_name"], row["engine"])].append(
            f"{str(row['checked_at'])[:16]} {row['outcome']}")
    out = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{escape(mart)} "
           "{{RELEASE_ID}} compliance report</title>", f"<style>{STYLE}</style><body>",
           f"<h1>{escape(metadata['title_en'])}<br><small lang='cy'>{escape(metadata['title_cy'])}"
           "</small></h1>",
           f"<p class='notice'>{escape(metadata['status_label_en'])} / "
           f"<span lang='cy'>{escape(metadata['status_label_cy'])}</span></p>",
           "<p>Release {{RELEASE_ID}} &middot; code version "
           f"<code>{escape(str(metadata.get('code_version')))}</code> &middot; "
           f"run <code>{escape(str(metadata.get('run_id')))}</code></p>",
           "<h2>Gates by Code of Practice principle / <span lang='cy'>Gatiau fesul egwyddor y "
           "Cod Ymarfer</span></h2>"]
    for principle in sorted(by_principle):
        en, cy = PILLARS.get(principle[:1], ("", ""))
        out.append(f"<h3>{escape(principle)} ({en} / <span lang='cy'>{cy}</span>)</h3><table>"
                   "<tr><th>Gate</th><th>Engine</th><th>Standard (3.0)</th><th>Severity</th>"
                   "<th>Outcome / Canlyniad</th><th>Observed</th><th>History (newest first)</th>"
                   "</tr>")
        for r in sorted(by_principle[principle], key=lambda x: x.spec.name):
            anchor = f"ex-{r.spec.engine}-{r.spec.name}"
            link = (f" <a href='#{anchor}'>examples</a>" if r.failing_examples and not r.passed
                    else "")
            hist = "<br>".join(escape(h) for h in past.get((r.spec.name, r.spec.engine), [])[:8])
            out.append(
                f"<tr><td><b>{escape(r.spec.name)}</b><br><small>{escape(r.spec.rationale)}</small>"
                f"</td><td>{r.spec.engine}</td><td>{escape(r.spec.standard)}</td>"
                f"<td>{r.spec.severity}</td><td class='{r.outcome}'>{r.outcome} / "
                f"{OUTCOME_CY[r.outcome]}{link}</td>"
                f"<td><code>{escape(json.dumps(r.observed, default=str)[:300])}</code></td>"
                f"<td><small>{hist}</small></td></tr>")
        out.append("</table>")
    failing = [r for r in results if r.failing_examples and not r.passed]
    if failing:
        out.append("<h2>Failing examples / <span lang='cy'>Enghreifftiau sy'n methu</span></h2>")
        for r in failing:
            examples = json.dumps(r.failing_examples, indent=1, default=str, ensure_ascii=False)
            out.append(f"<h3 id='ex-{r.spec.engine}-{escape(r.spec.name)}'>{escape(r.spec.name)}"
                       f"</h3><pre>{escape(examples)}</pre>")
    revisions = metadata.get("revisions") or []
    out.append(f"<h2>Revisions / <span lang='cy'>Diwygiadau</span></h2><p>{len(revisions)} "
               "value(s) changed since the previous release, flagged [r].</p>")
    out.append("</body></html>")
    return "\n".join(out)
