"""`harness verify <pack> verify.seed=<int> …`: integrity → prompts → draw → re-run → compare → verdict (exit 0/1/2).

Nothing that can fail a pack on its files needs a model: integrity (pure) comes first, then the prompt check
(task code, no engine); the one engine starts only for a pack that passed both.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from harness.paths import CONFIG_DIR
from harness.errors import ConfigError, RecordError
from harness.pack import layout
from harness.pack.hashing import sha256_file
from harness.verify.compare import IDENTICAL, NUMERIC_TIE, UNEXPLAINED, compare_subset, compare_triple
from harness.verify.draw import draw
from harness.verify.integrity import check_manifest, check_model, check_scores, load_json
from harness.verify.scan import scan_records
from harness.verify.problems import Problem
from harness.verify.report import write_report

USAGE = "usage: harness verify <results/run_id> verify.seed=<int> [verify.fraction=0.05 | verify.samples=N] [model.path=…]"


def _setup_differences(manifest: dict, model_cfg: dict, engine_info: dict | None, batch_invariant: bool) -> list[str]:
    from harness.pack.manifest import hardware, package_versions

    diffs = []
    now_pk, was_pk = package_versions(), manifest.get("packages", {})
    for name in sorted(set(now_pk) | set(was_pk)):
        if now_pk.get(name) != was_pk.get(name):
            diffs.append(f"package {name}: run {was_pk.get(name)}, verification {now_pk.get(name)}")
    was_hw, now_hw = manifest.get("hardware", {}), hardware()
    for key in ("gpus", "cpu", "cpu_count", "machine"):
        if was_hw.get(key) != now_hw.get(key):
            diffs.append(f"{key}: run {was_hw.get(key)}, verification {now_hw.get(key)}")
    was_engine, now_engine = manifest.get("engine") or {}, engine_info or {}
    for key in ("engine", "vllm_version"):
        if key in was_engine and key in now_engine and was_engine[key] != now_engine[key]:
            diffs.append(f"{key}: run {was_engine[key]}, verification {now_engine[key]}")
    if bool(was_engine.get("batch_invariant")) != batch_invariant:
        diffs.append(f"batch-invariant mode (VLLM_BATCH_INVARIANT): run {bool(was_engine.get('batch_invariant'))}, verification {batch_invariant}")
    was_args = was_engine.get("engine_args") or {}
    for key in sorted(set(was_args) | set(model_cfg.get("engine_args") or {})):
        a, b = was_args.get(key), (model_cfg.get("engine_args") or {}).get(key)
        if a != b:
            diffs.append(f"engine arg {key}: run {a}, verification {b}")
    return diffs


def _run_spec(pack: Path, cfg) -> Any:
    from harness.config.spec import build_run_spec

    run_cfg = OmegaConf.create(yaml.safe_load((pack / layout.CONFIG).read_text()))
    if cfg.model.path:
        run_cfg.model.path = cfg.model.path
    for key, value in (cfg.model.get("engine_args") or {}).items():
        run_cfg.model.engine_args[key] = value
    run_cfg.model.batch_invariant = bool(cfg.verify.batch_invariant)
    run_cfg.model.build = None  # verify the weights given, never rebuild them
    run_cfg.out = str(pack)
    return build_run_spec(run_cfg)


def _settings(argv: list[str]) -> tuple[Path, dict, Any]:
    positional = [a for a in argv if "=" not in a and not a.startswith("-")]
    if len(positional) != 1:
        raise ConfigError(USAGE)
    pack = Path(positional[0]).resolve()
    if not pack.is_dir():
        raise RecordError("evidence pack directory not found", file=pack)
    from harness.config.compose import validated
    from harness.config.schema import VerifyCfg

    overrides = [a for a in argv if a != positional[0]]
    checked = validated("verify", overrides, VerifyCfg, {"verify": str(CONFIG_DIR / "verify" / "default.yaml")})
    cfg = OmegaConf.create(checked)
    return pack, checked["verify"], cfg


def _diagnose(pack: Path, changed: dict, run_spec: Any, model_ok: bool, benches: set[str]) -> tuple[list[Problem], str | None]:
    """Name the field of each changed record (no engine): see harness/verify/diagnose.py."""
    if not changed:
        return [], None
    from harness.engines.chat import TokenizerChat
    from harness.verify.diagnose import diagnose, load_decoder
    from harness.verify.rerun import load_run_benchmarks, rebuild_samples

    try:
        where = run_spec.model.tokenizer or run_spec.model.path
        decode = load_decoder(Path(where)) if model_ok and where else None
        renderer = TokenizerChat.for_model(run_spec.model) if model_ok else None
        benchmarks = load_run_benchmarks(run_spec, set(changed) & benches)
        samples = rebuild_samples(run_spec, benchmarks, renderer)
        from harness.records.store import RecordStore

        store = RecordStore(pack)
        records = {b: list(store.load_keys(b, keys).values()) for b, keys in changed.items()}
        return diagnose(changed, records, decode, benchmarks, samples, renderer.count_tokens if renderer else None), None
    except Exception as err:  # the verdict is FAIL already; a diagnosis that cannot run must not hide it
        return [], f"{type(err).__name__}: {err}"


def main(argv: list[str]) -> int:
    from harness.console.capture import Capture, quiet_libraries

    verbose = any(a in ("-v", "--verbose") for a in argv)
    pack, v, cfg = _settings([a for a in argv if a not in ("-v", "--verbose")])
    quiet_libraries()
    with Capture("verify", verbose=verbose) as ui:
        if not verbose:
            ui.say(f"engine and library logs: {ui.log_path} (-v shows them here)")
        return _verify(pack, v, cfg, ui)


def _verify(pack: Path, v: dict, cfg: Any, ui: Any) -> int:
    manifest, spec_doc = load_json(pack, layout.MANIFEST), load_json(pack, layout.SPEC)
    model_doc = load_json(pack, layout.MODEL)
    run_spec = _run_spec(pack, cfg)
    pol = v["policy"]
    report: dict[str, Any] = {"verdict": None, "pack": manifest.get("run_id"), "pack_dir": str(pack), "reasons": [],
                              "manifest_sha256": sha256_file(pack / layout.MANIFEST),
                              "run": {"engine": (manifest.get("engine") or {}).get("engine"), "batch_invariant": bool((manifest.get("engine") or {}).get("batch_invariant")),
                                      "repeats": spec_doc.get("repeats"), "seed": spec_doc.get("seed")},
                              "verifier": {**{k: v[k] for k in ("seed", "fraction", "samples", "epsilon", "ll_tolerance", "batch_invariant", "diagnose")},
                                           "policy": pol, "model_path": run_spec.model.path}}
    from harness.benchmarks.factory import capabilities

    rerunnable = {name for name, meta in spec_doc["benchmarks"].items() if capabilities(meta)["rerunnable"]}

    # 1. Integrity, before any compute: pure checks of files, records, seeds, settings, scores and weights.
    problems: list[Problem] = check_manifest(pack, manifest)
    scan = scan_records(pack, spec_doc)  # one streamed pass: rows, seeds, settings, per-record hashes, prompts
    records = scan.rows
    problems += scan.problems + check_scores(pack, spec_doc, records)
    if run_spec.model.path:
        problems += check_model(Path(run_spec.model.path), model_doc, Path(run_spec.model.tokenizer) if run_spec.model.tokenizer else None)
    report["integrity"] = {"model_checked": bool(run_spec.model.path)}
    if problems and pol["fail_on_integrity"]:
        if v["diagnose"]:
            more, error = _diagnose(pack, scan.changed, run_spec, not any(p.check == "model" for p in problems), rerunnable)
            problems += more
            report["integrity"]["diagnosis_error"] = error
        report["integrity"]["problems"] = [p.to_dict() for p in problems]
        report["verdict"] = "FAIL"
        report["reasons"] = [f"{len(problems)} integrity problem(s); nothing was re-run"] + [str(p) for p in problems[:20]]
        return _finish(pack, report, ui)
    report["integrity"]["problems"] = [p.to_dict() for p in problems]

    # 2. Every record's prompts are the task's own rendering (task code and tokenizer, still no engine).
    from harness.engines.chat import TokenizerChat
    from harness.verify.rerun import load_run_benchmarks, prompt_problems, rebuild_samples, rerun_triples

    benchmarks = load_run_benchmarks(run_spec, rerunnable)
    renderer = TokenizerChat.for_model(run_spec.model)
    samples = rebuild_samples(run_spec, benchmarks, renderer)
    prompt_probs = prompt_problems(records, samples)
    report["prompts"] = {"checked": sorted(samples), "problems": [p.to_dict() for p in prompt_probs]}
    if prompt_probs and pol["fail_on_prompt_mismatch"]:
        report["verdict"] = "FAIL"
        report["reasons"] = [f"the recorded prompts of {len(prompt_probs)} benchmark(s) are not the task's; nothing was re-run"] + [str(p) for p in prompt_probs]
        return _finish(pack, report, ui)

    # 3. The draw.
    population = {b: [(r.sample_id, r.run) for r in recs] for b, recs in records.items()}
    triples = draw(population, seed=int(v["seed"]), run_id=str(manifest.get("run_id")),
                   fraction=None if v["samples"] is not None else float(v["fraction"]), samples=v["samples"])
    report["draw"] = {"triples": [t.to_dict() for t in triples], "per_benchmark": dict(Counter(t.benchmark for t in triples))}

    # 4. The re-run: the run's scoring stage (workers forked first), one engine, every drawn request in one batch.
    from harness.engines.factory import make_engine
    from harness.records.store import RecordStore
    from harness.scoring.stage import ScoringStage

    # Interactive episodes (τ²) are checked for integrity like everything else but not re-run.
    report["not_rerun"] = [dict(t.to_dict(), reason="interactive episode: integrity-checked, not re-run")
                           for t in triples if t.benchmark not in rerunnable]
    triples = [t for t in triples if t.benchmark in rerunnable]
    with ScoringStage(benchmarks, samples, workers=run_spec.scoring_workers,
                      count_tokens=renderer.count_tokens if renderer else None) as stage:
        engine = make_engine(run_spec.model, seed=run_spec.seed)
        needs_judge = any(b.spec.judge for b in benchmarks.values()) and run_spec.judge_model is not None
        judge_engine = make_engine(run_spec.judge_model, seed=run_spec.seed) if needs_judge else engine
        try:
            store = RecordStore(pack)
            prompts = {b: store.load_prompts(b) for b in benchmarks}
            drawn: dict[str, set] = {}
            for t in triples:
                drawn.setdefault(t.benchmark, set()).add((t.sample_id, t.run))
            by_key = {(b, sid, run): rec for b, keys in drawn.items() for (sid, run), rec in store.load_keys(b, keys).items()}
            fresh, rerun_problems = rerun_triples(triples, by_key, prompts, samples, stage, engine,
                                                  int(spec_doc.get("logprobs", run_spec.logprobs)), judge_engine)
            report["engine"] = engine.describe()
        finally:
            engine.close()
            if judge_engine is not engine:
                judge_engine.close()
    report["setup_differences"] = _setup_differences(manifest, OmegaConf.to_container(OmegaConf.create(run_spec.config["model"])),
                                                     report.get("engine"), bool(v["batch_invariant"]))
    report["batch_invariant_env"] = os.environ.get("VLLM_BATCH_INVARIANT")
    report["prompt_notes"] = [p.to_dict() for p in rerun_problems]

    # 5. The comparison, per triple and over the subset.
    rows = [{**t.to_dict(), **compare_triple(by_key[(t.benchmark, t.sample_id, t.run)], fresh[t].responses, fresh[t].metrics,
                                             spec_doc["benchmarks"][t.benchmark]["metric"], float(v["epsilon"]), float(v["ll_tolerance"]))}
            for t in triples]
    counts = Counter(r["divergence"]["kind"] for r in rows)
    counts["score_changed"] = sum(not r["score_identical"] for r in rows)
    subset = compare_subset([float(r["recorded_score"] or 0.0) for r in rows], [float(r["rerun_score"] or 0.0) for r in rows])
    report.update(triples=rows, counts=dict(counts), subset=subset.to_dict())

    # 6. The verdict.
    reasons = []
    if counts.get(UNEXPLAINED, 0) > int(pol["max_unexplained"]):
        reasons.append(f"{counts[UNEXPLAINED]} unexplained divergence(s) (policy allows {pol['max_unexplained']})")
    if abs(subset.mean_difference) > float(pol["max_score_difference"]):
        reasons.append(f"subset score moved by {subset.mean_difference:+.2f} points (tolerance {pol['max_score_difference']})")
    if problems:  # integrity problems under a lenient policy still show
        reasons.append(f"{len(problems)} integrity problem(s) tolerated by policy")
    if prompt_probs:
        reasons.append(f"prompts of {len(prompt_probs)} benchmark(s) differ from the task's rendering, tolerated by policy")
    report["verdict"] = "FAIL" if any("tolerated" not in r for r in reasons) else "PASS"
    report["reasons"] = reasons or [f"all {len(rows)} drawn triples identical ({counts.get(IDENTICAL, 0)}) or numeric ties ({counts.get(NUMERIC_TIE, 0)}); subset difference {subset.mean_difference:+.2f} points"]
    report["excluded"] = _excluded(records)
    report["reasons"] += [f"{b}: {e['n_excluded']} sample(s) left out of the scores, not counted as wrong (unscored runs: "
                          + ", ".join(f"{k} {n}" for k, n in e["unscored"].items()) + ")" for b, e in report["excluded"].items()]
    return _finish(pack, report, ui)


def _excluded(records: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Per benchmark with any, the samples the summary leaves out because a run went unscored (the sandbox
    failed, or the scorer raised): part of the verdict's report, never a reason to fail it."""
    from harness.pack.summary import excluded_items

    out = {}
    for bench, rows in records.items():
        ids, kinds = excluded_items(rows)
        if ids:
            out[bench] = {"n_excluded": len(ids), "unscored": kinds}
    return out


def _finish(pack: Path, report: dict[str, Any], ui: Any) -> int:
    path = write_report(pack, report)
    ui.out.print(f"{report['verdict']}: {report['reasons'][0]}", markup=False, highlight=False)
    for reason in report["reasons"][1:6]:
        ui.out.print(f"  {reason}", markup=False, highlight=False)
    ui.say(f"report: {path} (and {path.with_suffix('.md').name})")
    return 0 if report["verdict"] == "PASS" else 1
