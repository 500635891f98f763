-- Homelessness threatened and prevented by local authority and financial year, one row per cell
-- with English and Welsh labels side by side (the raw table holds every cell once per language).
{{ stg_statswales_area_measure('statswales__homelessness_prevention') }}
