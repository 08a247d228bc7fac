"""Target scores A: measured by a pack of the target model (run with the team's settings, accepted through its
signed verdict), or typed with a source note that every output repeats."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.pack.hashing import pack_files, sha256_file
from harness.paths import CONFIG_DIR
from harness.points.cli import main
from harness.signing.keys import load_private, new_key_pair, sign

EXAMPLES = CONFIG_DIR / "scoring" / "examples"
TARGETS = {"math500": 80.0, "bfcl_v4": 70.0, "humaneval_plus": 50.0, "kmmlu_redux": 60.0, "simpleqa": 55.0}


@pytest.fixture
def ex(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    return tmp_path / "ex"


@pytest.fixture
def agency(tmp_path):
    return new_key_pair(tmp_path / "keys", "agency")


def make_pack(pack: Path, run_id: str, means: dict[str, float], key: Path | None, *, max_tokens: int = 2048) -> Path:
    """A finished individual-suite pack as `harness run` leaves one (the files score reads), verified PASS."""
    pack.mkdir(parents=True)
    (pack / "summary.json").write_text(json.dumps({"run_id": run_id, "suite": "individual", "benchmarks": {
        b: {"mean": m, "complete": True, "metric": "acc"} for b, m in means.items()}}))
    (pack / "spec.json").write_text(json.dumps({"suite": "individual", "repeats": 5, "max_samples": None, "benchmarks": {
        b: {"task": b, "task_versions": {b: 1}, "metric": "acc", "n_samples": 100,
            "generation": {"temperature": 0.0, "max_tokens": max_tokens}} for b in means}}))
    (pack / "manifest.json").write_text(json.dumps({"run_id": run_id, "files": pack_files(pack)}))
    if key:
        statement = {"kind": "harness-verdict", "version": 1, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "pack": run_id, "manifest_sha256": sha256_file(pack / "manifest.json"), "verdict": "PASS",
                     "draw": {"seed": 1, "fraction": 0.05, "samples": None, "triples": []}, "reasons": []}
        (pack / "verification").mkdir()
        (pack / "verification" / "v.json").write_text(json.dumps({"statement": statement, "signature": sign(statement, load_private(key)).to_dict()}))
    return pack


def use_target_pack(ex: Path, team: int, rel: str, team_pack: str | None = None) -> None:
    doc = yaml.safe_load((ex / "phase1-teams.yaml").read_text())
    t = doc["teams"][team]
    t["individual"] = {"target_model": "Target-LLM-2025-11", "pack": rel}
    if team_pack:
        letter = t["name"][-1].lower()
        t["scores"] = [s for s in t["scores"] if s != f"scores/{letter}-individual.yaml"]
        t["packs"] = t.get("packs", []) + [team_pack]
    (ex / "phase1-teams.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))


def run(ex: Path, out: Path, agency) -> int:
    return main([str(ex / "phase1-teams.yaml"), f"scoring.out={out}", "scoring=phase1-example",
                 f"scoring.accepted_keys=['examples/keys/example-verifier.pub','{agency[1]}']"])


def test_a_measured_target_supplies_A_and_every_output_says_so(ex, tmp_path, agency, capsys):
    make_pack(ex / "packs" / "target", "target-individual-1", TARGETS, agency[0])
    b = yaml.safe_load((ex / "scores" / "b-individual.yaml").read_text())["scores"]
    make_pack(ex / "packs" / "b-individual", "b-individual-1", b, agency[0])
    use_target_pack(ex, 1, "packs/target", team_pack="packs/b-individual")
    out = tmp_path / "out"
    assert run(ex, out, agency) == 0
    doc = json.loads((out / "scores.json").read_text())
    team_b = next(t for t in doc["teams"] if t["team"] == "Team B")
    assert team_b["target_source"].startswith("measured: pack target") and "target-individual-1" in team_b["target_source"]
    assert any(s["B"] == 72 and s["A"] == 80 and s["capped"] == pytest.approx(0.9) for s in team_b["sections"]["individual"]["steps"])
    assert next(r for r in doc["table"] if r["team"] == "Team B")["individual"] == 9.0  # as with the typed A
    assert any(f["role"].startswith("target model pack") for f in doc["inputs"])
    rows = {r["team"]: r for r in csv.DictReader(open(out / "scores.csv"))}
    assert rows["Team B"]["target_scores_A"].startswith("measured") and rows["Team A"]["target_scores_A"].startswith("typed: illustrative")
    steps = [s for s in csv.DictReader(open(out / "steps.csv")) if s["section"] == "individual"]
    assert all("A: measured" in s["source"] for s in steps if s["team"] == "Team B")
    assert all("A: typed: illustrative" in s["source"] for s in steps if s["team"] == "Team A")
    printed = capsys.readouterr().out
    assert "measured: pack target" in printed and "typed: illustrative" in printed


def test_a_target_run_with_other_settings_is_refused(ex, tmp_path, agency):
    make_pack(ex / "packs" / "target", "target-individual-1", TARGETS, agency[0], max_tokens=32768)
    b = yaml.safe_load((ex / "scores" / "b-individual.yaml").read_text())["scores"]
    make_pack(ex / "packs" / "b-individual", "b-individual-1", b, agency[0])
    use_target_pack(ex, 1, "packs/target", team_pack="packs/b-individual")
    with pytest.raises(HarnessError, match=r"differ in benchmarks\.\w+\.generation") as err:
        run(ex, tmp_path / "out", agency)
    assert err.value.field.startswith("teams.1.individual.pack")


def test_an_unverified_target_pack_is_refused(ex, tmp_path, agency):
    make_pack(ex / "packs" / "target", "target-individual-1", TARGETS, None)
    use_target_pack(ex, 2, "packs/target")
    with pytest.raises(HarnessError, match=r"pack target has no verdict signed by an accepted key"):
        run(ex, tmp_path / "out", agency)


def test_a_target_that_scored_zero_cannot_divide(ex, tmp_path, agency):
    make_pack(ex / "packs" / "target", "target-individual-1", dict(TARGETS, simpleqa=0.0), agency[0])
    use_target_pack(ex, 2, "packs/target")
    with pytest.raises(HarnessError, match=r"target score A 0 is outside \(0, 100\]") as err:
        run(ex, tmp_path / "out", agency)
    assert "simpleqa" in err.value.field
