"""A finding's severity: an enum in the code, its plain value in a draft."""

from __future__ import annotations

import pytest
import yaml

from pipeline.entry import ERROR, WARNING, Finding, Severity, entry_from_yaml
from pipeline.errors import InputError
from tests.cli_helpers import make_entry


def test_a_severity_is_written_as_its_value_and_read_back_as_the_enum() -> None:
    entry = make_entry(
        checks=[Finding("hangul", ERROR, "x")], judge=[Finding("judge", WARNING, "minor fluency")]
    )
    text = entry.to_yaml()
    assert "severity: error" in text and "severity: warning" in text and "!!" not in text
    assert yaml.safe_load(text)["checks"] == [
        {"check": "hangul", "severity": "error", "message": "x"}
    ]
    loaded = entry_from_yaml(text, "d.yaml")
    assert loaded == entry
    assert loaded.checks[0].severity is Severity.ERROR and loaded.checks[0].is_error
    assert loaded.judge[0].severity is Severity.WARNING and not loaded.judge[0].is_error


def test_a_severity_value_is_taken_as_its_member_and_nothing_else_is() -> None:
    assert Finding("url", "warning", "x").severity is WARNING
    assert str(Finding("url", "error", "URL missing")) == "error: url: URL missing"
    with pytest.raises(ValueError):
        Finding("url", "fatal", "x")


def test_a_draft_with_an_unknown_severity_names_the_file_and_the_line() -> None:
    text = make_entry(checks=[Finding("hangul", ERROR, "x")]).to_yaml()
    text = text.replace("severity: error", "severity: fatal")
    line = text.split("\n").index("checks:") + 1
    with pytest.raises(InputError) as failed:
        entry_from_yaml(text, "d.yaml")
    assert str(failed.value) == (
        f"d.yaml:{line}: 'checks' must be a list of {{check, severity (error or warning), message}}"
    )
