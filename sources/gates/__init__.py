"""Code of Practice gates: one result shape, whatever engine (dbt, GX, Python) ran the check."""
