"""One data row under check: typed access to its cells and the problems found in it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sources.returns.problems import Problem, column_letter, make
from sources.returns.reader import Cell, Formula, Table

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:inf(?:inity)?|nan)", re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """A plain, finite decimal number (no separators, units, NaN or infinity), or None.

    Digits too large for a double (`1e309`) overflow to infinity and are refused; digits too
    small (`1e-400`) underflow to zero, which is a finite value and is kept.
    """
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def names_non_finite(text: str) -> bool:
    """Whether text is infinity or NaN, spelt out or as digits that overflow a double."""
    text = text.strip()
    return bool(_NOT_FINITE.fullmatch(text)) or (bool(_NUMBER.fullmatch(text))
                                                 and not math.isfinite(float(text)))


@dataclass(frozen=True)
class ReturnRow:
    """A row that passed every check, ready to load."""

    row: int
    council_code: str
    measure_id: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    marker: str | None
    note: str | None


class RowCheck:
    """Cells of one row by column name, and the problems found in them.

    Formula cells and cells without a heading are reported on construction; later checks skip
    formula cells so each is reported once, as a formula.
    """

    def __init__(self, table: Table, number: int, cells: list[Cell], columns: dict[str, int]):
        self.table, self.row_number, self.cells, self.columns = table, number, cells, columns
        self.problems: list[Problem] = []
        self._numbers: dict[str, float | None] = {}
        named = {i for i, c in enumerate(table.header) if c is not None and c.strip()}
        for index, cell in enumerate(cells):
            if isinstance(cell, Formula):
                self._add("formula_cell", self._name(index), index, value=cell)
            elif cell is not None and cell.strip() and index not in named:
                self._add("ragged_row", None, index, value=cell.strip())

    def _name(self, index: int) -> str:
        header = self.table.header
        return (header[index] or "").strip() if index < len(header) and header[index] else \
            column_letter(index)

    def _add(self, key: str, column: str | None, index: int | None, **fields: object) -> None:
        self.problems.append(make(key, self.table.file, sheet=self.table.sheet, row=self.row_number,
                                  column=column, col_index=index, **fields))

    def _raw(self, column: str) -> Cell:
        index = self.columns.get(column)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def has_formula(self, *columns: str) -> bool:
        return any(isinstance(self._raw(c), Formula) for c in columns)

    def checkable(self, column: str) -> bool:
        """The column exists and its cell in this row is not a formula."""
        return column in self.columns and not self.has_formula(column)

    def text(self, column: str) -> str | None:
        """The trimmed text of a cell; None when blank, absent or a formula."""
        raw = self._raw(column)
        if raw is None or isinstance(raw, Formula):
            return None
        return raw.strip() or None

    def number(self, column: str) -> float | None:
        """The cell as a number; text that is not a number is reported once."""
        if column not in self._numbers:
            text = self.text(column)
            self._numbers[column] = None if text is None else parse_number(text)
            if text is not None and self._numbers[column] is None:
                self.report("non_numeric_value.not_finite" if names_non_finite(text) else "non_numeric_value",
                            column, value=text)
        return self._numbers[column]

    def report(self, key: str, column: str | None, **fields: object) -> None:
        """Record a problem at this row and column; its value defaults to the cell's text."""
        fields.setdefault("value", self.text(column) if column else None)
        self._add(key, column, self.columns.get(column) if column else None, **fields)
