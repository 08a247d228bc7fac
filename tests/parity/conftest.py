"""Parity tests start no engine: they score responses through the run path's scoring stage, so the suite-wide
autouse fixture that builds the tiny model for vLLM is not needed here."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _one_vllm_engine_per_process():
    yield
