"""Byte-level encoders that reproduce what Node, node-postgres, fast-csv and Postgres emit.

Paths are relative to the backend's ``src`` (statswales-backend commit 25ea7888).
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

# ---------------------------------------------------------------- JSON (JSON.stringify) ----------


def js_number(value: int | float) -> str:
    """`String(n)` / `JSON.stringify(n)` in JavaScript: no `.0`, exponents only outside 1e-7..1e21."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    power = int(exp)
    if -7 < power < 21:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def js_value(value: Any) -> str:
    """One value as JSON.stringify writes it (no spaces, non-ASCII kept)."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return js_number(value)
    return json.dumps(value, ensure_ascii=False)


def json_row(row: dict[str, Any]) -> str:
    """`JSON.stringify(row)` for one data row (consumer-view-v2.ts L174)."""
    return "{" + ",".join(f"{js_value(k)}:{js_value(v)}" for k, v in row.items()) + "}"


def res_json(obj: Any) -> bytes:
    """Express `res.json(obj)`: JSON.stringify without spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def jsonb(obj: Any) -> Any:
    """A value read back from a Postgres jsonb column: object keys ordered by byte length, then bytes."""
    if isinstance(obj, dict):
        keys = sorted(obj, key=lambda k: (len(k.encode()), k.encode()))
        return {k: jsonb(obj[k]) for k in keys}
    if isinstance(obj, list):
        return [jsonb(v) for v in obj]
    return obj


# ---------------------------------------------------------------- CSV (@fast-csv/format) ---------

_CSV_ESCAPE = re.compile(r"[,\n|\r']")  # FieldFormatter ESCAPE_REGEXP `[${delimiter}${rowDelimiter}|\r|\n']`


def neutralize(value: Any) -> Any:
    """neutralizeCsvCell (utils/csv-sanitizer.ts): strings starting = + - @ \\t \\r \\n get a `'`."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + value
    return value


def csv_field(value: Any) -> str:
    """One field as fast-csv formats it: `${field}`, quoted when it holds `"`, `,`, `|`, CR, LF or `'`."""
    if value is None:
        text = ""
    elif isinstance(value, (bool, int, float)):
        text = js_number(value)
    else:
        text = str(value)
    text = text.replace("\0", "")
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if _CSV_ESCAPE.search(text):
        return f'"{text}"'
    return text


def csv_body(columns: list[str], rows: list[list[Any]]) -> str:
    """sendCsv (consumer-view-v2.ts L52-86): header from the first row's keys, rows joined by LF,
    no final newline; a query with no rows sends a lone "\\n" (L71-73)."""
    if not rows:
        return "\n"
    lines = [",".join(csv_field(neutralize(c)) for c in columns)]
    lines.extend(",".join(csv_field(neutralize(v)) for v in row) for row in rows)
    return "\n".join(lines)


# ---------------------------------------------------------------- Postgres text ------------------

_PG_RESERVED = {
    "all",
    "and",
    "as",
    "case",
    "desc",
    "from",
    "group",
    "order",
    "select",
    "table",
    "user",
    "where",
}


def quote_ident(name: str) -> str:
    """pg-format `%I`."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _PG_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: Any) -> str:
    """pg-format `%L` (arrays become a comma-separated list)."""
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return ",".join(quote_literal(v) for v in value)
    text = js_number(value) if isinstance(value, (int, float)) else str(value)
    if "\\" in text:
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + text.replace("'", "''") + "'"


def to_char(value: float | int, fmt: str, decimals: int | None, sql_type: str) -> str:
    """The measure-format CASE of cube-builder.ts L1362-1409 for one value, as Postgres prints it.

    integer: `TO_CHAR(CAST(v AS BIGINT), '999,999,990')`; decimal/float/long/percentage:
    `TO_CHAR(ROUND(CAST(v AS DECIMAL), d), '999,999,990.00…')`; text-like formats: the value as text.
    TO_CHAR keeps one leading position for the sign and pads to the pattern's width.
    """
    if fmt in ("string", "text", "date", "datetime", "time"):
        return js_number(value) if sql_type.upper().startswith("DOUBLE") else str(value)
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if fmt == "integer":
        rounding = ROUND_HALF_EVEN if isinstance(value, float) else ROUND_HALF_UP  # float8 rint vs numeric
        number, places = exact.quantize(Decimal(1), rounding=rounding), 0
    else:
        places = decimals or 0
        number = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _to_char_pattern(number, places)


def _to_char_pattern(number: Decimal, places: int) -> str:
    whole, _, frac = format(abs(number), "f").partition(".")
    tail = "." + frac.ljust(places, "0")[:places] if places else ""
    if len(whole) > 9:
        return " ###,###,###" + ("." + "#" * places if places else "")
    digits = whole.rjust(9)
    out = []
    for i, ch in enumerate(digits):
        if i in (3, 6):
            out.append("," if digits[i - 1] != " " else " ")
        out.append(ch)
    body = "".join(out) + tail
    lead = len(body) - len(body.lstrip(" "))
    sign = "-" if number < 0 else " "
    return body[:lead] + sign + body[lead:]
