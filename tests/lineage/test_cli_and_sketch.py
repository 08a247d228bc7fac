"""`harness lineage` end to end: sketches stand in for references, exit codes, the report contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import models as M
from harness.cli import main
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import Options, compare
from harness.lineage.decide import decide
from harness.lineage.features import CheckpointReference, Settings
from harness.lineage.sketch import SketchReference, make_sketch
from harness.paths import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("lin")
    ref = M.model(0)
    return {
        "ref": M.save(ref, root / "ref", shards=3),
        "derived": M.save(M.permute_rescale_fold(ref, 1), root / "derived"),
        "independent": M.save(M.model(1, data_seed=5), root / "independent"),
        "encoder": M.save(M.transplant_encoder(M.model(6), ref), root / "encoder"),
        "root": root,
    }


def test_a_sketch_gives_the_verdicts_of_the_full_reference(models):
    settings = Settings(k=16, gram_coords=32, anchor_rows=128, element_samples=512)
    sketch = make_sketch(models["ref"], models["root"] / "ref.sketch", settings)
    size = sum(p.stat().st_size for p in sketch.iterdir())
    weights = sum(p.stat().st_size for p in models["ref"].glob("*.safetensors"))
    assert size < weights / 2  # a summary, not a copy
    for name in ("derived", "independent", "encoder"):
        ck = Checkpoint.open(models[name])
        full = decide([compare(ck, CheckpointReference(Checkpoint.open(models["ref"]), settings), Options(n_units=128))], alpha=1e-6, inconclusive_alpha=1e-3, components=["language_model", "vision_encoder"])
        sk = decide([compare(ck, SketchReference(sketch), Options(n_units=128))], alpha=1e-6, inconclusive_alpha=1e-3, components=["language_model", "vision_encoder"])
        assert [c["verdict"] for c in full] == [c["verdict"] for c in sk], name


def test_exit_codes_and_report_contract(models, tmp_path):
    out = tmp_path / "report"
    assert main(["lineage", str(models["derived"]), str(models["ref"]), f"lineage.out={out}", "lineage.n_units=128"]) == 1
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["schema_version"] == 1 and report["verdict"] == "derived"
    assert report["candidate"] == str(models["derived"]) and report["references"] == [str(models["ref"])]
    lm = next(c for c in report["components"] if c["name"] == "language_model")
    assert {"name", "verdict", "p_value", "reference", "layers"} <= set(lm) and lm["verdict"] == "derived"
    ctl = report["comparisons"][0]["controls"]["language_model"]
    assert ctl["positive"]["p"] < 1e-6 and ctl["negative"]["p"] > 1e-3
    assert "Uncentred cosine" in out.with_suffix(".md").read_text()
    assert main(["lineage", str(models["independent"]), str(models["ref"]), f"lineage.out={tmp_path / 'r2'}"]) == 0


def test_the_scoring_gate_reads_the_report(models, tmp_path):
    from harness.points.inputs import lineage_report

    out = tmp_path / "enc"
    code = main(["lineage", str(models["encoder"]), str(models["ref"]), f"lineage.out={out}"])
    report = lineage_report(out.with_suffix(".json"))
    enc = next(c for c in report["components"] if c["name"] == "vision_encoder")
    assert code == 1 and enc["verdict"] == "derived"


def test_bad_input_exits_2(tmp_path):
    res = subprocess.run([sys.executable, "-m", "harness.cli", "lineage", str(tmp_path / "nope"), str(tmp_path / "nope2")],
                         capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 2 and "nope" in res.stderr
