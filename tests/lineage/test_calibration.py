"""Calibration: over 100 independent pairs of small models, the false-`derived` rate stays at most α."""

from __future__ import annotations

import numpy as np
import pytest

import models as M
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import Options, compare
from harness.lineage.decide import decide
from harness.lineage.features import CheckpointReference

pytestmark = pytest.mark.slow
PAIRS = 100
ALPHA = 1e-6


def test_false_derived_rate_over_independent_pairs(tmp_path):
    derived, min_p = 0, []
    opt = Options(n_units=64, qk=False, n_perm_alignment=20)
    for i in range(PAIRS):
        a = {**M.train_lm(1000 + i, steps=2, data_seed=i), **M.vision_tower(1000 + i)}
        b = {**M.train_lm(5000 + i, steps=2, data_seed=i), **M.vision_tower(5000 + i)}
        ra, rb = M.save(a, tmp_path / f"a{i}"), M.save(b, tmp_path / f"b{i}")
        comps = decide([compare(Checkpoint.open(rb), CheckpointReference(Checkpoint.open(ra)), opt)], alpha=ALPHA,
                       inconclusive_alpha=1e-3, components=["language_model", "embeddings", "vision_encoder"])
        derived += any(c["verdict"] == "derived" for c in comps)
        min_p += [c["p_value"] for c in comps if c["name"] == "language_model"]
    assert derived / PAIRS <= ALPHA  # i.e. none
    # and the language model's corrected p-values are not piled up near zero
    assert np.mean(np.array(min_p) < 0.01) <= 0.05
