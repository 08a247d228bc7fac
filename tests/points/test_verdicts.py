"""`harness score` takes a pack's numbers only through a verdict signed by an accepted key for the pack's current
manifest. Forged, foreign, unknown-key and stale verdicts are refused (exit 2, naming the pack and the reason);
a signed verdict on an untouched pack is accepted; a team's receipt pins the pack it handed over."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.pack.hashing import pack_files, sha256_file
from harness.pack.receipt import receipt_of
from harness.paths import CONFIG_DIR, REPO_ROOT
from harness.points.cli import main
from harness.signing.keys import load_private, new_key_pair, sign

EXAMPLES = CONFIG_DIR / "scoring" / "examples"


@pytest.fixture
def ex(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    return tmp_path / "ex"


@pytest.fixture
def agency(tmp_path):
    """The testing agency's key pair; its public half is what the scoring config accepts in these tests."""
    return new_key_pair(tmp_path / "keys", "agency")


@pytest.fixture
def stranger(tmp_path):
    return new_key_pair(tmp_path / "keys", "stranger")


def pack_of(ex: Path) -> Path:
    return ex / "packs" / "nia-team-a"


def reseal(pack: Path) -> None:
    m = json.loads((pack / "manifest.json").read_text())
    m["files"] = pack_files(pack)
    (pack / "manifest.json").write_text(json.dumps(m))


PHASE1 = {"name": "phase1", "deviations": []}  # what `harness verify verify.protocol=phase1` signs for a conforming pack


def signed_verdict(pack: Path, private: Path, *, verdict: str = "PASS", manifest_sha: str | None = None,
                   created: str | None = None, name: str | None = None, tamper=None, protocol: dict | None = PHASE1) -> Path:
    created = created or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    statement = {"kind": "harness-verdict", "version": 1, "created": created, "pack": "nia-team-a",
                 "manifest_sha256": manifest_sha or sha256_file(pack / "manifest.json"), "verdict": verdict,
                 "draw": {"seed": 7, "fraction": 0.05, "samples": None, "triples": [["kmmlu", "3", 0]]}, "protocol": protocol, "reasons": []}
    doc = {"schema_version": 2, "statement": statement, "signature": sign(statement, load_private(private)).to_dict()}
    if tamper:
        tamper(doc)
    path = pack / "verification" / (name or f"{created.replace(':', '')}.json")
    path.write_text(json.dumps(doc))
    return path


def run(ex: Path, out: Path, *extra: str) -> int:
    return main([str(ex / "phase1-teams.yaml"), f"scoring.out={out}", *extra])


def accepting(public: Path) -> str:
    return f"scoring.accepted_keys=['{public}']"


def refused(ex: Path, tmp_path: Path, match: str, *extra: str) -> HarnessError:
    with pytest.raises(HarnessError, match=match) as err:
        run(ex, tmp_path / "out", *extra)
    assert err.value.exit_code == 2 and "nia-team-a" in str(err.value)
    assert not (tmp_path / "out").exists()
    return err.value


def test_the_shipped_example_is_read_through_its_signed_verdict(ex, tmp_path):
    assert run(ex, tmp_path / "out", "scoring=phase1-example") == 0
    doc = json.loads((tmp_path / "out" / "scores.json").read_text())
    pack = next(f for f in doc["inputs"] if f["file"].endswith("nia-team-a"))
    assert pack["verdict"]["verdict"] == "PASS" and pack["manifest_sha256"] == sha256_file(pack_of(ex) / "manifest.json")


def test_without_an_accepted_key_the_example_pack_does_not_count(ex, tmp_path):
    e = refused(ex, tmp_path, "does not accept")  # phase1 accepts no key until the agency's are listed
    assert e.field == "verification"


def test_a_forged_pass_file_is_refused(ex, tmp_path):
    vdir = pack_of(ex) / "verification"
    for p in vdir.iterdir():
        p.unlink()
    (vdir / "20991231T000000Z.json").write_text(json.dumps({"schema_version": 1, "verdict": "PASS", "created": "2099-12-31T00:00:00+00:00",
                                                             "pack": "nia-team-a", "manifest_sha256": sha256_file(pack_of(ex) / "manifest.json")}))
    refused(ex, tmp_path, r"20991231T000000Z.json: not signed", "scoring=phase1-example")


def test_a_team_written_future_pass_does_not_override_the_agencys_fail(ex, tmp_path, agency):
    signed_verdict(pack_of(ex), agency[0], verdict="FAIL", name="agency.json")
    (pack_of(ex) / "verification" / "20991231T000000Z.json").write_text(json.dumps({"verdict": "PASS", "created": "2099-12-31T00:00:00+00:00"}))
    for p in (pack_of(ex) / "verification").glob("2026*.json"):
        p.unlink()  # the example's own PASS: only the agency's FAIL is signed now
    refused(ex, tmp_path, r"newest signed verdict \(agency.json.*\) is FAIL", accepting(agency[1]))


def test_a_verdict_for_another_manifest_is_refused(ex, tmp_path, agency):
    for p in (pack_of(ex) / "verification").iterdir():
        p.unlink()
    signed_verdict(pack_of(ex), agency[0], manifest_sha="0" * 64)
    refused(ex, tmp_path, r"a verdict for another manifest", accepting(agency[1]))


def test_a_verdict_signed_by_an_unknown_key_is_refused(ex, tmp_path, agency, stranger):
    for p in (pack_of(ex) / "verification").iterdir():
        p.unlink()
    signed_verdict(pack_of(ex), stranger[0])
    refused(ex, tmp_path, r"signed by key [0-9a-f]{16}, which the scoring config does not accept", accepting(agency[1]))


def test_a_verdict_edited_after_signing_is_refused(ex, tmp_path, agency):
    for p in (pack_of(ex) / "verification").iterdir():
        p.unlink()
    signed_verdict(pack_of(ex), agency[0], verdict="FAIL", tamper=lambda d: d["statement"].update(verdict="PASS"))
    refused(ex, tmp_path, r"does not verify", accepting(agency[1]))


def test_a_pack_changed_after_its_verdict_is_refused(ex, tmp_path):
    summary = pack_of(ex) / "summary.json"
    doc = json.loads(summary.read_text())
    doc["benchmarks"]["kmmlu"]["mean"] = 99.0
    summary.write_text(json.dumps(doc))
    refused(ex, tmp_path, r"differ from its manifest.*summary.json", "scoring=phase1-example")
    reseal(pack_of(ex))  # the manifest rebuilt to match: the signed verdict names the old one
    refused(ex, tmp_path, r"a verdict for another manifest.*changed after it was verified", "scoring=phase1-example")


def test_a_signed_verdict_on_an_untouched_pack_is_accepted(ex, tmp_path, agency):
    signed_verdict(pack_of(ex), agency[0])
    assert run(ex, tmp_path / "out", accepting(agency[1])) == 0
    steps = (tmp_path / "out" / "steps.csv").read_text()
    assert "verified PASS, signed" in steps


def test_a_verdict_that_checked_no_protocol_or_found_deviations_is_refused(ex, tmp_path, agency):
    signed_verdict(pack_of(ex), agency[0], protocol=None)
    refused(ex, tmp_path, r"did not check protocol phase1.*verify.protocol=phase1", accepting(agency[1]))
    for p in (pack_of(ex) / "verification").iterdir():
        p.unlink()
    deviating = {"name": "phase1", "deviations": ["3 runs, the protocol asks 5 (run.repeats)"]}
    signed_verdict(pack_of(ex), agency[0], protocol=deviating)
    refused(ex, tmp_path, r"departs from protocol phase1: 3 runs", accepting(agency[1]))
    assert run(ex, tmp_path / "out", accepting(agency[1]), "scoring.allow_deviations=true") == 0


def test_the_command_line_exits_2_naming_the_pack(ex, tmp_path):
    (pack_of(ex) / "summary.json").write_text((pack_of(ex) / "summary.json").read_text().replace("94.0", "99.0", 1))
    res = subprocess.run([sys.executable, "-m", "harness.cli", "score", str(ex / "phase1-teams.yaml"), f"scoring.out={tmp_path / 'o'}",
                          "scoring=phase1-example"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 2 and "nia-team-a" in res.stderr and "manifest" in res.stderr


def _with_receipt(ex: Path, agency) -> Path:
    pack = pack_of(ex)
    (pack / "model.json").write_text(json.dumps({"path": "/team/model", "weights": {"model.safetensors": "ab" * 32}, "config": "cd" * 32}))
    reseal(pack)
    for p in (pack / "verification").iterdir():
        p.unlink()
    signed_verdict(pack, agency[0])
    (ex / "receipt.json").write_text(json.dumps(receipt_of(pack)))
    import yaml

    doc = yaml.safe_load((ex / "phase1-teams.yaml").read_text())
    doc["teams"][0]["packs"] = [{"path": "packs/nia-team-a", "receipt": "receipt.json"}]
    (ex / "phase1-teams.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    return pack


def test_a_pack_matching_the_teams_receipt_is_accepted_and_a_swapped_one_refused(ex, tmp_path, agency):
    pack = _with_receipt(ex, agency)
    assert run(ex, tmp_path / "ok", accepting(agency[1])) == 0
    # Another model's pack, resealed and even verified: not what the team handed over.
    (pack / "model.json").write_text(json.dumps({"path": "/team/model", "weights": {"model.safetensors": "ef" * 32}, "config": "cd" * 32}))
    reseal(pack)
    signed_verdict(pack, agency[0], created="2099-01-01T00:00:00+00:00")
    e = refused(ex, tmp_path, r"does not match the team's receipt: manifest_sha256", accepting(agency[1]))
    assert e.file.endswith("receipt.json")


def test_receipt_command_prints_run_id_manifest_and_model_hashes(ex, agency):
    pack = _with_receipt(ex, agency)
    res = subprocess.run([sys.executable, "-m", "harness.cli", "receipt", str(pack)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["run_id"] == "nia-team-a" and doc["manifest_sha256"] == sha256_file(pack / "manifest.json")
    assert doc["model"]["weights"] == {"model.safetensors": "ab" * 32} and "path" not in doc["model"]
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "receipt", str(ex)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert bad.returncode == 2 and "manifest.json" in bad.stderr
