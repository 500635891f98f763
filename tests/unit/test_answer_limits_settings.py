"""The bounds on answers and raw loads, read from the environment: defaults, forms and mistakes."""

from __future__ import annotations

import pytest

from sources.http import DEFAULT_DEADLINE, DEFAULT_MAX_BYTES, PoliteClient
from sources.settings import Settings, SettingsError


def settings(**env: str) -> Settings:
    return Settings.from_env({"DATA_CYMRU_HOME": "/tmp/datacymru-test", **env})


def test_defaults_are_the_clients_and_half_the_rows():
    s = settings()
    assert (s.deadlines, s.max_bytes, s.raw_min_row_ratio) == ({}, {}, 0.5)
    client = PoliteClient("statswales", "https://example.test/v2", "me@example.test")
    assert (client.deadline, client.max_bytes) == (DEFAULT_DEADLINE, DEFAULT_MAX_BYTES) == (120.0, 512 << 20)


def test_each_provider_has_its_own_deadline_and_cap():
    s = settings(DATA_CYMRU_NOMIS_DEADLINE="300", DATA_CYMRU_STATSWALES_DEADLINE="0.5",
                 DATA_CYMRU_ONS_MAX_BYTES="64MB", DATA_CYMRU_NOMIS_MAX_BYTES="1048576")
    assert s.deadlines == {"nomis": 300.0, "statswales": 0.5}
    assert s.max_bytes == {"ons": 64 << 20, "nomis": 1 << 20}


@pytest.mark.parametrize(("text", "size"), [("512MB", 512 << 20), ("64 kb", 64 << 10), ("1.5GB", 3 << 29),
                                            ("2048B", 2048), ("1", 1)])
def test_sizes_take_units_in_powers_of_1024(text, size):
    assert settings(DATA_CYMRU_NOMIS_MAX_BYTES=text).max_bytes["nomis"] == size


@pytest.mark.parametrize(("name", "text"), [
    ("DATA_CYMRU_NOMIS_DEADLINE", "soon"), ("DATA_CYMRU_NOMIS_DEADLINE", "0"),
    ("DATA_CYMRU_ONS_DEADLINE", "-5"), ("DATA_CYMRU_ONS_DEADLINE", "inf"),
    ("DATA_CYMRU_ONS_MAX_BYTES", "12XB"), ("DATA_CYMRU_ONS_MAX_BYTES", "0MB"),
    ("DATA_CYMRU_ONS_MAX_BYTES", "lots"), ("DATA_CYMRU_RAW_MIN_ROW_RATIO", "1.5"),
    ("DATA_CYMRU_RAW_MIN_ROW_RATIO", "half"), ("DATA_CYMRU_RAW_MIN_ROW_RATIO", "-0.1"),
])
def test_a_bad_value_names_its_variable(name, text):
    with pytest.raises(SettingsError, match=f"^{name} must be .*not {text!r}"):
        settings(**{name: text})


@pytest.mark.parametrize(("text", "ratio"), [("0", 0.0), ("0.8", 0.8), ("1", 1.0)])
def test_the_row_share_is_a_number_from_0_to_1(text, ratio):
    assert settings(DATA_CYMRU_RAW_MIN_ROW_RATIO=text).raw_min_row_ratio == ratio
