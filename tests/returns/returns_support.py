"""Constants and helpers shared by the council returns tests."""

from __future__ import annotations

from pathlib import Path

import duckdb

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "returns"
CARDIFF, SWANSEA = "W06000015", "W06000011"


def raw_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Everything in `raw.council__returns`, in a stable order ([] before the table exists)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                         "AND table_name = 'council__returns'").fetchone()[0]
    if not exists:
        return []
    return con.execute("SELECT * FROM raw.council__returns ORDER BY ALL").fetchall()


def audit_count(con: duckdb.DuckDBPyConnection, table: str = "audit.submissions") -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def variant(tmp_path: Path, name: str, replacements: dict[str, str], source: str = "good.csv") -> Path:
    """A copy of a pass fixture with some text replaced, written to a temporary file."""
    text = (FIXTURES / "pass" / source).read_bytes().decode("utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


GOOD_CSV = FIXTURES / "pass" / "good.csv"
GOOD_XLSX = FIXTURES / "pass" / "good.xlsx"


def replace_parts(source: Path, target: Path, parts: dict[str, bytes]) -> Path:
    """A copy of a workbook with some zip parts replaced (or added), for hostile variants."""
    import zipfile

    parts = dict(parts)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = parts.pop(info.filename, None)
            out.writestr(info.filename, original.read(info.filename) if data is None else data)
        for name, data in parts.items():
            out.writestr(name, data)
    return target
