"""`harness lineage` end to end: exit codes, the report a verifier reads, sketches, the scoring gate."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import disguise as D
from harness.cli import main
from harness.lineage.checkpoint import Checkpoint
from harness.lineage.compare import compare
from harness.lineage.decide import decide
from harness.lineage.features import Settings
from harness.lineage.summary import load_sketch, save_sketch, summarise
from harness.paths import REPO_ROOT
from helpers import COMPONENTS, OPTIONS

pytestmark = pytest.mark.slow


def lineage(*args) -> int:
    return main(["lineage", *map(str, args), "lineage.n_perm=100", "lineage.activations=never"])


def test_help_prints_usage_and_every_exit_code():
    res = subprocess.run([sys.executable, "-m", "harness.cli", "lineage", "--help"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0
    for line in ("0  no evidence", "1  derived", "2  error", "3  inconclusive", "4  not testable"):
        assert line in res.stdout


def test_exit_codes_and_report_contract(zoo, tmp_path):
    rotated = zoo.save("cli-rotated", D.rotate_residual(D.permute_units(zoo.states["ft"], 1), 2))
    out = tmp_path / "report"
    assert lineage(rotated, zoo.save("ref"), f"lineage.out={out}", "lineage.revision=0123abc") == 1
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["verdict"] == "derived" and report["references"] == [str(zoo.save("ref"))]
    lm = next(c for c in report["components"] if c["name"] == "language_model")
    assert {"name", "verdict", "p_value", "reference", "layers", "sentence", "test", "effect", "evidence"} <= set(lm)
    assert lm["verdict"] == "derived" and lm["layers"] == [0, 1] and "derived from the reference" in lm["sentence"]
    assert lm["test"]["null"].startswith(("exact", "margin"))
    prov = report["comparisons"][0]["provenance"]
    assert prov["revision"] == "0123abc" and len(prov["files"]["model.safetensors"]) == 64
    ctl = report["comparisons"][0]["controls"]["language_model"]
    assert ctl["positive"]["agreement"] == 1.0 and ctl["negative"]["agreement"] < 0.1
    md = out.with_suffix(".md").read_text()
    for text in ("In plain words", "rotation from weights", "sha256", "0123abc", "unit_identity", "agreement=1"):
        assert text in md
    assert lineage(zoo.save("ind3"), zoo.save("ref"), f"lineage.out={tmp_path / 'r2'}") == 0
    assert lineage(zoo.save("ind9"), zoo.save("ref"), f"lineage.out={tmp_path / 'r3'}") == 0  # another residual width


def test_unknown_layout_is_not_testable(zoo, tmp_path):
    renamed = {k.replace("model.layers.", "net.stage").replace("self_attn", "mix").replace("mlp", "ffw").replace("_proj", "_lin")
               .replace("model.embed_tokens", "net.lookup").replace("lm_head", "net.readout"): v for k, v in zoo.states["ind1"].items()}
    out = tmp_path / "report"
    assert lineage(zoo.save("cli-unknown", renamed, config=False), zoo.save("ref"), f"lineage.out={out}") == 4
    report = json.loads(out.with_suffix(".json").read_text())
    assert {c["name"]: c["verdict"] for c in report["components"]}["language_model"] == "not testable"
    assert "not a finding of independence" in out.with_suffix(".md").read_text()


def test_bad_input_exits_2_naming_the_file(tmp_path):
    res = subprocess.run([sys.executable, "-m", "harness.cli", "lineage", str(tmp_path / "nope"), str(tmp_path / "nope2")],
                         capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 2 and "nope" in res.stderr
    res = subprocess.run([sys.executable, "-m", "harness.cli", "lineage", "sketch", str(tmp_path)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 2 and "lineage.out" in res.stderr


def test_a_sketch_gives_the_verdicts_of_the_full_reference(zoo, tmp_path):
    settings = Settings(k=32, gram_coords=48, pool=56, anchor_rows=256, n_units=96)  # coordinate subsets smaller than the width
    ref = zoo.save("ref")
    full = summarise(Checkpoint.open(ref), settings, revision="r1")
    sketch = load_sketch(save_sketch(full, tmp_path / "ref.sketch"))
    assert sketch.meta["revision"] == "r1" and sketch.meta["files"]["model.safetensors"] == full.meta["files"]["model.safetensors"]
    assert set(sketch.arrays) == set(full.arrays) and all(np.array_equal(sketch.arrays[k], full.arrays[k]) for k in full.arrays)
    cases = {"rotated": D.rotate_residual(D.permute_units(zoo.states["ft"], 3), 4), "merged": D.merge(zoo.states["ft"], zoo.states["ind2"], 0.2),
             "transplant": D.transplant_rotated_embeddings(zoo.states["ind1"], zoo.states["ref"], 5), "ind1": None}
    for name, state in cases.items():
        ck = Checkpoint.open(zoo.save(name if state is None else f"sketch-{name}", state))
        a = decide([compare(ck, full, OPTIONS)], alpha=1e-6, inconclusive_alpha=1e-3, components=COMPONENTS)
        b = decide([compare(ck, sketch, OPTIONS)], alpha=1e-6, inconclusive_alpha=1e-3, components=COMPONENTS)
        assert [(c["name"], c["verdict"]) for c in a] == [(c["name"], c["verdict"]) for c in b], name
        if name != "ind1":
            assert any(c["verdict"] == "derived" for c in a), name
    out = tmp_path / "cli.sketch"
    assert main(["lineage", "sketch", str(ref), f"lineage.out={out}", "lineage.revision=r2"]) == 0
    assert lineage(zoo.save("sketch-rotated"), out, f"lineage.out={tmp_path / 'r'}") == 1


def test_the_scoring_gate_reads_the_report(zoo, tmp_path):
    import tinylm
    from harness.points.inputs import lineage_report

    ref = zoo.save("cli-vlm-ref", {**zoo.states["ref"], **tinylm.vision_tower(0)})
    cand = zoo.save("cli-vlm-enc", {**zoo.states["ind1"], **tinylm.vision_tower(0)})
    out = tmp_path / "enc"
    assert lineage(cand, ref, f"lineage.out={out}") == 1
    report = lineage_report(out.with_suffix(".json"))
    verdicts = {c["name"]: c["verdict"] for c in report["components"]}
    assert verdicts["vision_encoder"] == "derived" and verdicts["language_model"] == "no evidence"
