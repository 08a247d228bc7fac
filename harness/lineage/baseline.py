"""Imports everything `harness lineage` imports and does nothing: the baseline of scripts/bench_lineage.py."""

import scipy.optimize  # noqa: F401
import safetensors  # noqa: F401
import torch  # noqa: F401

import harness.lineage.cli  # noqa: F401
import harness.lineage.compare  # noqa: F401
import harness.lineage.run  # noqa: F401
import harness.lineage.summary  # noqa: F401
