"""The `return_accepted` gate: every council return taken in was loaded whole, none quarantined.

The intake has already done the work (a return with an error is quarantined, nothing from it is
loaded, the council's previous return stays in use); this gate records the outcome beside the
other gates, so a quarantine shows as a failed check on `raw/council__returns` and in
`audit.check_results`, not as a silent success. It is a warning: publication goes on with the
returns in force.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sources.gates.model import GateResult
from sources.gates.registry import gate
from sources.i18n import _
from sources.returns.submission import Submission

FEEDBACK_REPORT = "feedback.html"  # written last into a quarantine folder (`feedback.py`)


def feedback_report(submission: Submission) -> Path | None:
    """The report a council reads for this submission, once it is written."""
    return submission.feedback_dir / FEEDBACK_REPORT if submission.feedback_dir else None


def return_accepted(submissions: Sequence[Submission], asset_key: str) -> GateResult:
    """The gate over the submissions one intake processed (not applicable when there were none)."""
    quarantined = [s for s in submissions if s.status == "quarantined"]
    return GateResult(
        gate("return_accepted"), asset_key, passed=not quarantined, examined=len(submissions),
        observed={"submissions": len(submissions), "quarantined": len(quarantined),
                  "by_status": dict(sorted(Counter(s.status for s in submissions).items()))},
        failing_examples=[_example(s) for s in quarantined])


def _example(submission: Submission) -> dict[str, object]:
    first = submission.errors[0] if submission.errors else None
    return {"submission_id": submission.submission_id, "council": submission.council_code,
            "file": submission.original_name or submission.file_name,
            "errors": submission.error_count,
            "first_error": first.message_en if first else None,
            "feedback_report": str(feedback_report(submission) or "")}


def quarantine_summary(result: GateResult) -> str | None:
    """One sentence per quarantined return for the check's description; None when none was."""
    if result.passed:
        return None
    lines = [_("{quarantined} of {count} return(s) taken in quarantined: nothing from a quarantined "
               "return is loaded, and its council's previous return stays in use.").format(
        quarantined=result.observed["quarantined"], count=result.observed["submissions"])]
    for example in result.failing_examples:
        lines.append(_("- {file} from {council}: {errors} error(s), e.g. {first_error} Feedback "
                       "report: {report}").format(
            file=example["file"], council=example["council"] or _("an unknown council"),
            errors=example["errors"], first_error=example["first_error"] or "",
            report=example["feedback_report"]))
    return "\n".join(lines)
