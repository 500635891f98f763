"""Write the bundled SAMPLE council returns: every council, collections 2023-24 and 2024-25.

`python -m sources.sample_returns.generate [FOLDER]`. The figures are invented, plausible in
scale, and identical on every run (seeded by council and year); every row's note and every file
name says SAMPLE. They are never official statistics. A few councils send XLSX, the rest CSV,
so both readers feed the marts.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from sources.returns.reference import COUNCILS
from sources.returns.template import write_csv, write_workbook

SAMPLE_DIR = Path(__file__).resolve().parent
COLLECTIONS = ("2023-24", "2024-25")
XLSX_COUNCILS = frozenset({"W06000002", "W06000011", "W06000015", "W06000020", "W06000023"})
NOTE = "SAMPLE DATA: invented figures, not official statistics"


def sample_rows(code: str, collection: str) -> list[list[object]]:
    """Five rows (one per measure) for a council and collection, value = numerator / denominator."""
    size = random.Random(f"size:{code}")  # the council's scale, the same in every year
    year = random.Random(f"figures:{code}:{collection}")
    fte, inspected = size.randint(2500, 11000), size.randint(300, 1200)
    applications, establishments = size.randint(450, 2800), size.randint(700, 3000)
    population = size.randint(60000, 370000)
    days = round(fte * year.uniform(9.0, 13.5))
    clean = round(inspected * year.uniform(0.88, 0.99))
    in_time = round(applications * year.uniform(0.78, 0.97))
    compliant = round(establishments * year.uniform(0.92, 0.995))
    residual_kg = round(population * year.uniform(150.0, 235.0))
    figures = [("PAM/001", days / fte, days, fte), ("PAM/010", 100 * clean / inspected, clean, inspected),
               ("PAM/018", 100 * in_time / applications, in_time, applications),
               ("PAM/023", 100 * compliant / establishments, compliant, establishments),
               ("PAM/043", residual_kg / population, residual_kg, population)]
    return [[code, measure, collection, round(value, 1), numerator, denominator, None, NOTE]
            for measure, value, numerator, denominator in figures]


def generate(folder: Path = SAMPLE_DIR) -> list[Path]:
    """Write one SAMPLE return per council and collection into `folder/<collection>/`."""
    written = []
    for collection in COLLECTIONS:
        (folder / collection).mkdir(parents=True, exist_ok=True)
        for code in COUNCILS:
            rows = sample_rows(code, collection)
            stem = folder / collection / f"SAMPLE_{code}_{collection}"
            if code in XLSX_COUNCILS:
                written.append(write_workbook(stem.with_suffix(".xlsx"), rows, guidance=False))
            else:
                text_rows = [[f"{c:.1f}" if isinstance(c, float) else c for c in r] for r in rows]
                written.append(write_csv(stem.with_suffix(".csv"), text_rows, bom=False))
    return written


if __name__ == "__main__":
    paths = generate(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_DIR)
    print(f"wrote {len(paths)} SAMPLE returns")
