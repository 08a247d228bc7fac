"""Sandbox tests start no engine. The suite-wide autouse fixture of the same name (tests/conftest.py) builds
the tiny model (~10 s) to lend vLLM engines; overriding it here keeps `pytest tests/sandbox` fast."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_vllm_engine_per_process():
    yield
