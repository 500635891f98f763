"""The bundled SAMPLE returns (invented figures, never official statistics) run through the intake."""

from __future__ import annotations

import re
from pathlib import Path

from sources.i18n import N_
from sources.returns import store
from sources.returns.config import ReturnsConfig
from sources.returns.intake import Warehouse, process_file, sha256_of, write_connection
from sources.returns.submission import Submission
from sources.settings import Settings

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_returns"
SAMPLE_NOTICE = N_("SAMPLE DATA: the bundled council returns hold invented figures; they are not "
                 "official statistics.")
_SAMPLE_NAME = re.compile(r"SAMPLE_(W06\d{6})_(\d{4}-\d{2})\.(csv|xlsx)")


def sample_files(directory: Path = SAMPLE_DIR) -> list[Path]:
    """Every sample return, ordered by collection then council."""
    found = [p for p in directory.glob("*/SAMPLE_*") if _SAMPLE_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda p: (_SAMPLE_NAME.fullmatch(p.name).group(2), p.name))


def load_sample_returns(settings: Settings, con: Warehouse,
                        config: ReturnsConfig | None = None,
                        directory: Path = SAMPLE_DIR) -> list[Submission]:
    """Submit every sample return never received before, as its council; returns the new ones.

    A sample file received once is never submitted again, even after a council's later return
    superseded it: re-sending it would silently revert the council's newer figures. So a refresh
    can call this every time. `con` is a connection, or a function that opens one (as for
    `process_file`).
    """
    with write_connection(con) as connection:
        store.ensure_tables(connection)
        waiting = [p for p in sample_files(directory) if not store.ever_received(
            connection, sha256_of(p), _council(p), p.suffix[1:])]
    return [process_file(p, settings, _council(p), con, config=config) for p in waiting]


def _council(path: Path) -> str:
    return _SAMPLE_NAME.fullmatch(path.name).group(1)
