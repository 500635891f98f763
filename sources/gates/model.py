"""The shape every gate and every gate execution shares, whatever engine ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["blocking", "warn"]
Engine = Literal["dbt", "gx", "python"]
OnEmpty = Literal["not_applicable", "failed"]
# Every outcome a gate execution can have, in the order a report lists them.
OUTCOMES = ("passed", "warned", "failed", "error", "not_applicable")


@dataclass(frozen=True)
class Gate:
    """One Code of Practice gate, as the registry (`expectations/gates.yml`) defines it."""

    name: str
    engine: Engine
    principle: str  # edition 2.x practice, e.g. "Q3.3"
    standard: str  # Code 3.0 standard number(s), e.g. "6" or "9, 10"
    severity: Severity
    on_empty: OnEmpty
    must_hold_en: str
    must_hold_cy: str
    rationale_en: str
    rationale_cy: str
    guidance: str
    thresholds: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # "rows": an execution examines the rows of its table; "groups": the implementation reports
    # the groups it compared (see docs/gates.md).
    population: str = "rows"

    @property
    def principle_group(self) -> str:
        """'Q3.3' -> 'Q3': the principle a gate is counted under."""
        return self.principle.split(".")[0]


@dataclass
class GateResult:
    """One execution of one gate against one asset, under a check name unique on that asset."""

    gate: Gate
    asset_key: str
    passed: bool
    check_name: str = ""
    # Rows (or groups) the execution examined; None when the engine cannot say.
    examined: int | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    failing_examples: list[Any] = field(default_factory=list)
    # True when the check itself broke (not the data): reported as an error of the check.
    errored: bool = False

    def __post_init__(self) -> None:
        self.check_name = self.check_name or self.gate.name
        # A gate that examined nothing did not pass: it is not applicable or failed, as registered.
        if self.examined == 0 and not self.errored and self.gate.on_empty == "failed":
            self.passed = False

    @property
    def outcome(self) -> str:
        if self.errored:
            return "error"
        if self.examined == 0 and self.gate.on_empty == "not_applicable":
            return "not_applicable"
        if self.passed:
            return "passed"
        return "failed" if self.gate.severity == "blocking" else "warned"

    @property
    def blocks(self) -> bool:
        return self.gate.severity == "blocking" and self.outcome in ("failed", "error")
