"""Check a whole return and report every problem at once, each with its row, column and cell.

A return covers one council and one collection (a financial year). The council is the one that
submitted the file or, when unknown, the code most rows carry; the collection is the open
financial year most rows carry. Rows for anything else are errors.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sources.returns.problems import Problem, ProblemLog, make
from sources.returns.reader import Formula, Table
from sources.returns.reference import (
    COUNCILS,
    MARKERS,
    MEASURES,
    REQUIRED_COLUMNS,
    TEMPLATE_COLUMNS,
    Measure,
    is_financial_year,
)
from sources.returns.rows import ReturnRow, RowCheck


@dataclass
class Validation:
    """The outcome: the submission's council and collection, clean rows, and every problem."""

    council: str | None
    collection: str | None
    rows: list[ReturnRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def header_name(cell: str | None) -> str:
    """A header cell as a column name: trimmed, lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s-]+", "_", (cell or "").strip().lower())


def _columns(table: Table, problems: ProblemLog) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(table.header):
        name = header_name(cell)
        if not name:
            continue
        if name in columns:
            problems.append(make("duplicate_column", table.file, sheet=table.sheet, row=1, column=name,
                                 col_index=index))
        elif name not in TEMPLATE_COLUMNS or isinstance(cell, Formula):
            problems.append(make("unknown_column", table.file, sheet=table.sheet, row=1, column=name,
                                 col_index=index))
        else:
            columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(make("missing_columns", table.file, sheet=table.sheet, row=1, column=name,
                                 allowed=", ".join(REQUIRED_COLUMNS)))
    return columns


def _most_common(values: list[str]) -> str | None:
    counts = Counter(values).most_common(1)
    return counts[0][0] if counts else None


def _infer(table: Table, columns: dict[str, int], open_collections: tuple[str, ...],
           submitting_council: str | None) -> tuple[str | None, str | None]:
    def cells(name: str) -> list[str]:
        if name not in columns:
            return []
        index = columns[name]
        return [cells[index].strip() for _, cells in table.rows
                if index < len(cells) and cells[index] and not isinstance(cells[index], Formula)]

    council = submitting_council or _most_common([c for c in cells("council_code") if c in COUNCILS])
    collection = _most_common([p for p in cells("period") if p in open_collections])
    return council, collection


def validate(table: Table, submitting_council: str | None, open_collections: tuple[str, ...],
             max_per_check: int = 0) -> Validation:
    """Check every row of a return against the template, the reference data and itself.

    Every row is checked, but only the first `max_per_check` problems of each check are kept
    (0 keeps all); a summary line counts the rest.
    """
    problems = ProblemLog(max_per_check)
    columns = _columns(table, problems)
    council, collection = _infer(table, columns, open_collections, submitting_council)
    result = Validation(council, collection)
    if not table.rows:
        problems.append(make("empty_file.no_rows", table.file, sheet=table.sheet))
        result.problems = problems.problems()
        return result
    first_seen: dict[tuple[str, str, str], int] = {}
    measures_seen: set[str] = set()
    for number, cells in table.rows:
        row = RowCheck(table, number, cells, columns)
        code = _council(row, council)
        measure = _measure(row)
        period = _period(row, collection, open_collections)
        value, marker = _value_and_marker(row)
        numerator, denominator = _ratio(row, measure, value, marker)
        _range(row, measure, value)
        if measure is not None:
            measures_seen.add(measure.id)
        key = (code, measure.id if measure else None, period)
        if None not in key:
            if key in first_seen:
                row.report("duplicate_row", "measure_id", measure=key[1], period=period,
                           first_row=first_seen[key])
            else:
                first_seen[key] = number  # type: ignore[index]
        problems.extend(row.problems)
        if not row.problems and code and measure and period:
            result.rows.append(ReturnRow(number, code, measure.id, period, value, numerator,
                                         denominator, marker, row.text("note")))
    # A measure without a row would block the release at the councils-complete gate: say so now,
    # to the council, rather than after publication fails.
    for measure_id in sorted(set(MEASURES) - measures_seen):
        missing = MEASURES[measure_id]
        problems.append(make("missing_measure", table.file, sheet=table.sheet, measure=measure_id,
                             title_en=missing.title_en, title_cy=missing.title_cy))
    result.problems = problems.problems()
    return result


def _council(row: RowCheck, council: str | None) -> str | None:
    if not row.checkable("council_code"):
        return None
    code = row.text("council_code")
    if code is None:
        row.report("unknown_council.missing", "council_code")
    elif code not in COUNCILS:
        row.report("unknown_council", "council_code", value=code)
    elif council and code != council:
        row.report("council_mismatch", "council_code", value=code, council=council)
    else:
        return code
    return None


def _measure(row: RowCheck) -> Measure | None:
    if not row.checkable("measure_id"):
        return None
    measure_id, allowed = row.text("measure_id"), ", ".join(MEASURES)
    if measure_id is None:
        row.report("unknown_measure.missing", "measure_id", allowed=allowed)
    elif measure_id not in MEASURES:
        row.report("unknown_measure", "measure_id", value=measure_id, allowed=allowed)
    return MEASURES.get(measure_id or "")


def _period(row: RowCheck, collection: str | None, open_collections: tuple[str, ...]) -> str | None:
    if not row.checkable("period"):
        return None
    period, allowed = row.text("period"), ", ".join(open_collections)
    if period is None:
        row.report("malformed_period.missing", "period")
    elif not is_financial_year(period):
        row.report("malformed_period", "period", value=period)
    elif period not in open_collections:
        row.report("period_outside_collection.closed", "period", value=period, allowed=allowed)
    elif period != collection:
        row.report("period_outside_collection", "period", value=period, collection=collection,
                   allowed=allowed)
    else:
        return period
    return None


def _value_and_marker(row: RowCheck) -> tuple[float | None, str | None]:
    if not row.checkable("value") or row.has_formula("marker"):
        return None, None
    text, marker, value = row.text("value"), row.text("marker"), row.number("value")
    if marker is not None and marker not in MARKERS:
        row.report("unknown_marker", "marker", value=marker, allowed=" ".join(MARKERS))
    if text is not None and marker is not None:
        row.report("value_and_marker_both_present", "value", value=text, marker=marker)
    elif text is None and marker is None:
        row.report("value_and_marker_both_missing", "value")
    return value, marker


def _ratio(row: RowCheck, measure: Measure | None, value: float | None,
           marker: str | None) -> tuple[float | None, float | None]:
    if row.has_formula("value", "numerator", "denominator"):
        return None, None
    numerator, denominator = row.number("numerator"), row.number("denominator")
    given = [c for c in ("numerator", "denominator") if row.text(c) is not None]
    if marker is not None and given:
        row.report("numerator_denominator_inconsistent.withheld", given[0], marker=marker)
    elif len(given) == 1:
        row.report("numerator_denominator_inconsistent.one_missing", given[0])
    elif numerator is not None and denominator is not None:
        if denominator == 0:
            row.report("numerator_denominator_inconsistent.zero", "denominator")
        elif value is not None and measure is not None:
            expected = numerator / denominator * (100 if measure.is_percentage else 1)
            tolerance = 0.05 if measure.is_percentage else max(0.05, 0.005 * abs(expected))
            if abs(value - expected) > tolerance + 1e-9:
                row.report("numerator_denominator_inconsistent", "value", value=row.text("value"),
                           expected=f"{expected:.2f}")
    return numerator, denominator


def _range(row: RowCheck, measure: Measure | None, value: float | None) -> None:
    if value is not None and measure is not None and measure.is_percentage and not 0 <= value <= 100:
        row.report("percentage_out_of_range", "value", value=row.text("value"))
    elif value is not None and measure is not None and value < 0:
        row.report("negative_value", "value", value=row.text("value"))
    for column in ("numerator", "denominator"):
        number = row.number(column)
        if number is not None and number < 0:
            row.report("negative_value", column, value=row.text(column))
