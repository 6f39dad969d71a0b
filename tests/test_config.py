"""Settings from the environment (pipeline/config.py): a number that cannot be used is bad input
naming its variable."""

from __future__ import annotations

import pytest

from tests.cli_helpers import DATE, run


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_numbers_from_the_environment_must_be_usable(value: str) -> None:
    result = run("export", DATE, env={"DIGEST_RETRY_ATTEMPTS": value})
    assert result.code == 2 and "DIGEST_RETRY_ATTEMPTS" in result.stderr
