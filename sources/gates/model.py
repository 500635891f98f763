"""The shape every gate and every gate result shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["blocking", "warn"]
Engine = Literal["dbt", "gx", "python"]


@dataclass(frozen=True)
class GateSpec:
    """What a gate enforces and under which Code of Practice reference."""

    name: str
    principle: str  # edition 2.x, e.g. "Q3"
    standard: str  # Code 3.0 standard number(s), e.g. "6"
    severity: Severity
    rationale: str
    engine: Engine = "python"


@dataclass
class GateResult:
    """One execution of one gate against one asset."""

    spec: GateSpec
    asset_key: str
    passed: bool
    observed: dict[str, Any] = field(default_factory=dict)
    failing_examples: list[Any] = field(default_factory=list)
    # True when the check itself broke (not the data): reported as an error of the check.
    errored: bool = False
    message_en: str = ""
    message_cy: str = ""

    @property
    def blocks(self) -> bool:
        return not self.passed and self.spec.severity == "blocking"

    @property
    def outcome(self) -> str:
        if self.errored:
            return "error"
        if self.passed:
            return "passed"
        return "failed" if self.spec.severity == "blocking" else "warned"
