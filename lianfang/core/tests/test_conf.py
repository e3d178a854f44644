"""Settings read from the environment refuse malformed values at start-up (lianfang.conf), naming the
variable and the value, instead of failing later at the first request (a 500 for every API call)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lianfang.conf import env_code, env_rate

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("value", ["6000/min", "10/s", "5/second", "100/hour", "1/day", " 20/m "])
def test_env_rate_accepts_what_drf_reads(monkeypatch, value):
    monkeypatch.setenv("LIANFANG_API_RATE", value)
    assert env_rate("LIANFANG_API_RATE", "6000/min") == value.strip()


@pytest.mark.parametrize("value", ["abc", "10/fortnight", "-5/min", "0/min", "1.5/min", "/min", "10", "１０/min"])
def test_env_rate_refuses_what_drf_would_crash_on_or_misread(monkeypatch, value):
    monkeypatch.setenv("LIANFANG_API_RATE", value)
    with pytest.raises(ImproperlyConfigured) as raised:
        env_rate("LIANFANG_API_RATE", "6000/min")
    assert str(raised.value).startswith(f"LIANFANG_API_RATE={value!r} is not a rate")


def test_env_rate_default_when_unset(monkeypatch):
    monkeypatch.delenv("LIANFANG_API_RATE", raising=False)
    assert env_rate("LIANFANG_API_RATE", "6000/min") == "6000/min"


@pytest.mark.parametrize("value", ["abc", "62010", "6201030", "６２０１０３", ""])
def test_env_code_refuses_a_malformed_district(monkeypatch, value):
    monkeypatch.setenv("LIANFANG_DISTRICT_CODE", value)
    with pytest.raises(ImproperlyConfigured) as raised:
        env_code("LIANFANG_DISTRICT_CODE", "620103", lengths=(2, 4, 6))
    assert str(raised.value) == (
        f"LIANFANG_DISTRICT_CODE={value!r} is not a division code of 2 or 4 or 6 digits (e.g. 620103)"
    )


@pytest.mark.parametrize("value", ["62", "6201", "620103"])
def test_env_code_accepts_province_city_district(monkeypatch, value):
    monkeypatch.setenv("LIANFANG_DISTRICT_CODE", value)
    assert env_code("LIANFANG_DISTRICT_CODE", "620103", lengths=(2, 4, 6)) == value


def test_the_server_refuses_to_start_with_a_malformed_rate(tmp_path):
    """What the trial saw: `LIANFANG_API_RATE=abc manage.py check` passed and every API call was a 500."""
    env = {**os.environ, "LIANFANG_API_RATE": "abc", "LIANFANG_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "LIANFANG_API_RATE='abc' is not a rate" in done.stderr
