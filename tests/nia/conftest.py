"""A private NIA-format file, written in the test."""

from __future__ import annotations

import pytest
from nia_items import GOOD, write_jsonl


@pytest.fixture
def good_file(tmp_path):
    return write_jsonl(tmp_path / "private_nia.jsonl", GOOD)
