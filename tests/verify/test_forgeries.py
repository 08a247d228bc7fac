"""Forgeries by someone who knows the format and reseals every hash with the harness's own code; each is a
FAIL (exit 1) naming its reason, while honest packs verified other ways PASS; malformed input and the
verifier's own mistakes are exit 2 with no verdict written into the team's pack."""

from __future__ import annotations

import json

import pytest
import yaml

from harness.pack.hashing import pack_files

pytestmark = pytest.mark.slow


def _flip(metric):
    def edit(records):
        rec = records[-1]
        rec.metrics[metric] = 1.0 - rec.metrics[metric]
        return records
    return edit


def test_a_forged_metric_on_an_undrawn_record_fails_by_rescoring(forger):
    forger.rewrite("haerae", _flip("acc,none"))
    forger.reseal()
    code, report = forger.verify("verify.samples=2")  # the forged record is almost surely not drawn
    assert code == 1 and report["verdict"] == "FAIL"
    assert report["integrity"]["problems"] == []  # resealed: integrity alone passes
    probs = report["rescore"]["problems"]
    assert any(p["field"] == "metrics.acc,none" and "re-scored" in p["message"] for p in probs), probs
    assert "triples" not in report  # decided before any engine


def test_a_dropped_item_fails_although_its_count_was_lowered(forger):
    dropped = []

    def drop(records):
        dropped.append(records[0].sample_id)
        return [r for r in records if r.sample_id != dropped[0]]
    forger.rewrite("haerae", drop)
    spec = json.loads((forger.pack / "spec.json").read_text())
    spec["benchmarks"]["haerae"]["n_samples"] -= 1
    forger.reseal(spec)
    code, report = forger.verify()
    assert code == 1 and report["integrity"]["problems"] == []
    assert any("dropped" in p["message"] and p["sample"] == dropped[0] for p in report["prompts"]["problems"]), report["prompts"]


def _set_first(doc, key, value):
    for k, v in doc.items():
        if k == key:
            doc[k] = value
            return True
        if isinstance(v, dict) and _set_first(v, key, value):
            return True
    return False


def test_an_edited_config_fails_against_its_run_id(forger):
    path = forger.pack / "config.yaml"
    config = yaml.safe_load(path.read_text())
    assert _set_first(config, "temperature", 0.0)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    forger.reseal()
    code, report = forger.verify()
    assert code == 1
    assert any(p["check"] == "config" and p["file"] == "config.yaml" and p["field"] == "run_id" for p in report["integrity"]["problems"])


def test_a_raised_score_in_the_lmeval_file_fails(forger):
    forger.reseal()
    path = forger.pack / "lmeval_results.json"
    doc = json.loads(path.read_text())
    name, entry = next((k, v) for k, v in doc["results"].items() if "acc,none" in v)
    entry["acc,none"] = min(1.0, entry["acc,none"] + 0.25)
    path.write_text(json.dumps(doc, indent=2))
    from harness.pack.manifest import write_manifest

    manifest = json.loads((forger.pack / "manifest.json").read_text())
    write_manifest(forger.pack, **{k: manifest[k] for k in ("run_id", "engine", "datasets", "settings")})
    code, report = forger.verify()
    assert code == 1
    assert any(p["file"] == "lmeval_results.json" and p["field"] == "results" and name in p["message"] for p in report["integrity"]["problems"])


def test_honest_reruns_pass_with_any_batch_composition_and_leave_the_pack_unchanged(forger):
    before = pack_files(forger.pack)
    code_a, a = forger.verify("verify.samples=1")
    code_b, b = forger.verify("verify.fraction=1.0")
    assert (code_a, code_b) == (0, 0), (a["reasons"], b["reasons"])
    assert b["tolerance"]["exact"] and b["counts"].get("identical") == len(b["triples"])  # same machine: bit for bit
    assert b["config_binding"].startswith("bound")
    small = {(t["benchmark"], t["sample_id"], t["run"]) for t in a["draw"]["triples"]}
    assert small <= {(t["benchmark"], t["sample_id"], t["run"]) for t in b["draw"]["triples"]}
    assert pack_files(forger.pack) == before


def test_a_receipt_binds_the_pack_as_handed_over(forger):
    from harness.pack.hashing import sha256_file

    receipt = sha256_file(forger.pack / "manifest.json")
    code, report = forger.verify(f"verify.receipt={receipt}", "verify.received_at=2026-12-01T09:00:00+09:00", "verify.samples=1")
    assert code == 0 and report["receipt"]["matches"] and report["receipt"]["received_at"] == "2026-12-01T09:00:00+09:00"
    assert report["statement"]["receipt"] == report["receipt"]  # receipt, its time and the seed drawn after it: signed
    forger.rewrite("haerae", _flip("acc,none"))
    forger.reseal()  # a pack changed after its receipt, however well resealed
    code, report = forger.verify(f"verify.receipt={receipt}", "verify.rescore=false")
    assert code == 1 and report["receipt"]["matches"] is False
    assert any("receipt" in p["message"] for p in report["integrity"]["problems"])


@pytest.mark.parametrize("case", ["truncated config", "seed not a number", "verifier's model path", "spec without benchmarks"])
def test_malformed_input_and_verifier_mistakes_are_exit_2_with_no_verdict(forger, case, tmp_path):
    args = []
    if case == "truncated config":
        path = forger.pack / "config.yaml"
        path.write_text(path.read_text()[:200].rsplit("\n", 1)[0] + "\n  - [unclosed")
    elif case == "seed not a number":
        args = ["verify.seed=abc"]
    elif case == "verifier's model path":
        args = [f"model.path={tmp_path / 'no-such-model'}"]
    else:
        path = forger.pack / "spec.json"
        spec = json.loads(path.read_text())
        spec.pop("benchmarks")
        path.write_text(json.dumps(spec))
    code, report = forger.verify(*args)
    assert code == 2 and report is None
    assert not (forger.pack / "verification").exists()


def test_a_torn_line_in_a_hash_index_is_a_verdict_naming_the_record(forger):
    path = forger.pack / "records" / "haerae.sha256"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1] + [lines[-1][:40]]))
    code, report = forger.verify()
    assert code == 1
    sid, run = lines[-1].split(" ")[1:]
    assert any(p["sample"] == f"{sid} run {run}" and "added" in p["message"] for p in report["integrity"]["problems"])


def test_a_forged_answer_behind_a_claimed_near_tie_is_caught_by_teacher_forcing(forger):
    """The forger swaps in the runner-up at one token, claims a near-tie there, and writes a confident answer
    after it. A generous ε makes the re-run call that first difference a tie; scoring the recorded tokens
    under the model does not: the tail is not the model's."""
    forged = []

    def edit(records):
        def argmax_at(resp):  # a position where the model's own token was its argmax, with a runner-up recorded
            return next((k for k in range(1, len(resp.token_ids) - 4)
                         if len(resp.top_ids[k]) >= 2 and resp.token_ids[k] == resp.top_ids[k][0]), None)
        rec = next(r for r in records if argmax_at(r.responses[0]) is not None)
        resp = rec.responses[0]
        k = argmax_at(resp)
        runner_up = resp.top_ids[k][1]
        ids = resp.token_ids[:k] + [runner_up] + list(reversed(resp.token_ids[k + 1:]))
        lps = resp.logprobs[:k] + [resp.top_logprobs[k][1]] + [-0.05] * (len(ids) - k - 1)
        tops = resp.top_ids[:k] + [[resp.top_ids[k][0], runner_up]] + [[t] for t in ids[k + 1:]]
        top_lps = resp.top_logprobs[:k] + [[resp.top_logprobs[k][1] + 0.01, resp.top_logprobs[k][1]]] + [[-0.05] for _ in ids[k + 1:]]
        rec.responses[0] = resp.model_copy(update={"token_ids": ids, "logprobs": lps, "top_ids": tops, "top_logprobs": top_lps})
        forged.append(f"{rec.sample_id} run {rec.run}")
        return records
    forger.rewrite("hrm8k_ksm", edit)
    forger.reseal()
    code, report = forger.verify("verify.fraction=1.0", "verify.epsilon=100")
    assert code == 1 and report["integrity"]["problems"] == []
    row = next(t for t in report["triples"] if f"{t['sample_id']} run {t['run']}" == forged[0])
    assert row["divergence"]["kind"] == "unexplained" and row["divergence"]["detail"].startswith("teacher-forced")
    assert "numeric-tie" in row["divergence"]["detail"]  # without teacher forcing, the tie would have explained it
    assert report["teacher_forced"]["inconsistent"] == 1


def test_a_pack_that_departs_from_the_protocol_fails_naming_each_deviation(forger):
    code, report = forger.verify("verify.protocol=phase1")
    assert code == 1 and report["verdict"] == "FAIL" and "triples" not in report
    found = report["protocol"]["deviations"]
    assert any("3 runs, the protocol asks 5" in d for d in found) and any("sample limit of 2" in d for d in found)
    assert report["statement"]["protocol"] == report["protocol"]  # signed with the verdict, for `harness score`
