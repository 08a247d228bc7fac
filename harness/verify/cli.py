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
from harness.errors import ConfigError, HarnessError, RecordError
from harness.pack import layout
from harness.pack.hashing import sha256_file
from harness.verify.compare import IDENTICAL, NUMERIC_TIE, UNEXPLAINED, compare_subset, compare_triple
from harness.verify.draw import draw
from harness.verify.integrity import check_config_binding, check_manifest, check_model, check_scores, load_json
from harness.verify.scan import scan_records
from harness.verify.problems import Problem
from harness.verify.report import write_report
from harness.verify.tolerance import tolerance

USAGE = ("usage: harness verify <results/run_id> verify.seed=<int> verify.key=<verifier.key> [verify.fraction=0.05 | verify.samples=N] [model.path=…]\n"
         "(no key: verify.unsigned=true writes a verdict that `harness score` will not accept; `harness keys new` makes a key pair)")


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
    for key in ("engine", "vllm_version", "dtype"):
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

    path = pack / layout.CONFIG
    try:
        loaded = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise RecordError("missing: not an evidence pack, or an incomplete one", file=path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RecordError(f"not valid YAML ({str(err).splitlines()[0]}): truncated or edited", file=path) from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("model"), dict):
        raise RecordError("not a run config (no `model` mapping): truncated or replaced", file=path, field="model")
    run_cfg = OmegaConf.create(loaded)
    if cfg.model.path:
        run_cfg.model.path = cfg.model.path
    for key, value in (cfg.model.get("engine_args") or {}).items():
        run_cfg.model.engine_args[key] = value
    run_cfg.model.batch_invariant = bool(cfg.verify.batch_invariant)
    run_cfg.model.build = None  # verify the weights given, never rebuild them
    run_cfg.out = str(pack)
    spec = build_run_spec(run_cfg)
    if spec.model.path and not Path(spec.model.path).is_dir():  # the verifier's own setup: no verdict is written
        given = "given" if cfg.model.path else f"named by the pack's {layout.CONFIG}; give the verifier's copy with model.path=…"
        raise ConfigError(f"model directory {spec.model.path} not found ({given})", field="model.path")
    return spec


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
    v = checked["verify"]
    if v["key"] is None and not v["unsigned"]:  # before any compute: a verdict nobody can rely on is a wasted run
        raise ConfigError("no signing key: give verify.key=PATH (`harness keys new` makes one), or verify.unsigned=true "
                          "for a verdict that `harness score` will not accept", file=CONFIG_DIR / "verify" / "default.yaml", field="verify.key")
    if v["key"] is not None:
        from harness.signing.keys import load_private

        v["signing_key"] = load_private(Path(v["key"]).expanduser().resolve())
    cfg = OmegaConf.create({k: (dict(x, signing_key=None) if k == "verify" else x) for k, x in checked.items()})
    return pack, v, cfg


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


def _shapes(manifest: Any, spec_doc: Any, model_doc: Any) -> None:
    """The pack's own descriptions must have the fields the checks read: else exit 2 naming file and field."""
    def need(ok: bool, name: str, fld: str, what: str) -> None:
        if not ok:
            raise RecordError(f"{what}: truncated or edited", file=name, field=fld)

    need(isinstance(manifest, dict) and isinstance(manifest.get("files"), dict), layout.MANIFEST, "files", "no file list")
    need(isinstance(model_doc, dict), layout.MODEL, "", "not a JSON object")
    need(isinstance(spec_doc, dict) and isinstance(spec_doc.get("benchmarks"), dict) and spec_doc["benchmarks"], layout.SPEC, "benchmarks", "no benchmarks")
    for key in ("repeats", "seed"):
        need(isinstance(spec_doc.get(key), int) and not isinstance(spec_doc.get(key), bool), layout.SPEC, key, "not an integer")
    for name, meta in spec_doc["benchmarks"].items():
        need(isinstance(meta, dict) and isinstance(meta.get("metric"), str), layout.SPEC, f"benchmarks.{name}.metric", "no primary metric")
        need(isinstance(meta.get("n_samples"), int), layout.SPEC, f"benchmarks.{name}.n_samples", "not an integer")


def _verify(pack: Path, v: dict, cfg: Any, ui: Any) -> int:
    manifest, spec_doc = load_json(pack, layout.MANIFEST), load_json(pack, layout.SPEC)
    model_doc = load_json(pack, layout.MODEL)
    _shapes(manifest, spec_doc, model_doc)
    run_spec = _run_spec(pack, cfg)
    pol = v["policy"]
    manifest_sha = sha256_file(pack / layout.MANIFEST)
    report: dict[str, Any] = {"verdict": None, "pack": manifest.get("run_id"), "pack_dir": str(pack), "reasons": [],
                              "manifest_sha256": manifest_sha,
                              "receipt": {"manifest_sha256": v["receipt"], "received_at": v["received_at"], "seed": v["seed"],
                                          "matches": None if v["receipt"] is None else v["receipt"] == manifest_sha},
                              "run": {"engine": (manifest.get("engine") or {}).get("engine"), "batch_invariant": bool((manifest.get("engine") or {}).get("batch_invariant")),
                                      "repeats": spec_doc.get("repeats"), "seed": spec_doc.get("seed")},
                              "verifier": {**{k: v[k] for k in ("seed", "fraction", "samples", "epsilon", "ll_tolerance", "batch_invariant", "diagnose", "rescore", "unsigned")},
                                           "policy": pol, "model_path": run_spec.model.path}}
    from harness.benchmarks.factory import capabilities

    rerunnable = {name for name, meta in spec_doc["benchmarks"].items() if capabilities(meta)["rerunnable"]}

    # 1. Integrity, before any compute: pure checks of files, records, seeds, settings, scores, config and weights.
    problems: list[Problem] = check_manifest(pack, manifest)
    if v["receipt"] is not None and v["receipt"] != manifest_sha:
        problems.append(Problem("manifest", layout.MANIFEST, f"sha256 {manifest_sha[:12]}… is not the receipt's {v['receipt'][:12]}… (the pack changed since it was handed over)"))
    binding, report["config_binding"] = check_config_binding(yaml.safe_load((pack / layout.CONFIG).read_text()), manifest.get("run_id"))
    problems += binding
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
        return _finish(pack, report, ui, v.get("signing_key"))
    report["integrity"]["problems"] = [p.to_dict() for p in problems]
    if v["protocol"] is not None:  # the official protocol: checked on the pack's config alone, no compute
        from harness.verify.protocol import deviations, load_protocol

        protocol = load_protocol(v["protocol"])
        departs = deviations(yaml.safe_load((pack / layout.CONFIG).read_text()), spec_doc, protocol)
        report["protocol"] = {"name": protocol.name, "deviations": departs}
        if departs:
            report["verdict"] = "FAIL"
            report["reasons"] = [f"the pack does not follow protocol {protocol.name}: {len(departs)} deviation(s); nothing was re-run"] + departs[:20]
            return _finish(pack, report, ui, v.get("signing_key"))

    # 2. Every record's prompts are the task's own rendering, every item of the task has its records, and every
    #    record's scores follow from its output (task code and tokenizer, still no engine).
    from harness.engines.chat import TokenizerChat
    from harness.records.store import RecordStore
    from harness.scoring.stage import ScoringStage
    from harness.verify.rerun import load_run_benchmarks, prompt_problems, rebuild_samples, rerun_triples
    from harness.verify.rescore import dropped_items, rescore_all

    used: list[dict[str, Any]] = []
    benchmarks = load_run_benchmarks(run_spec, rerunnable, used)
    from harness.benchmarks.pins import check_same_data

    check_same_data(pack, manifest.get("datasets"), used)  # the items the run scored, before any rendering or engine
    report["data"] = {"compared": sorted({f"{u['id']} ({u.get('config') or 'default'})" for u in used})}
    renderer = TokenizerChat.for_model(run_spec.model)
    samples = rebuild_samples(run_spec, benchmarks, renderer)
    prompt_probs = prompt_problems(records, samples) + dropped_items(records, samples)
    report["prompts"] = {"checked": sorted(samples), "problems": [p.to_dict() for p in prompt_probs]}
    if prompt_probs and pol["fail_on_prompt_mismatch"]:
        report["verdict"] = "FAIL"
        report["reasons"] = [f"the recorded prompts or items of {len(prompt_probs)} benchmark(s) are not the task's; nothing was re-run"] + [str(p) for p in prompt_probs]
        return _finish(pack, report, ui, v.get("signing_key"))
    count_tokens = renderer.count_tokens if renderer else None
    if v["rescore"]:
        with ScoringStage(benchmarks, samples, workers=run_spec.scoring_workers, count_tokens=count_tokens) as stage:
            rescore_probs, rescore_notes, rescored = rescore_all(RecordStore(pack), benchmarks, samples, stage)
        report["rescore"] = {"records": rescored, "not_rescored": sorted(set(spec_doc["benchmarks"]) - set(rescored)),
                             "problems": [p.to_dict() for p in rescore_probs], "notes": [p.to_dict() for p in rescore_notes[:50]],
                             "notes_total": len(rescore_notes)}
        if rescore_probs and pol["fail_on_rescore"]:
            report["verdict"] = "FAIL"
            report["reasons"] = [f"{len(rescore_probs)} recorded score(s) do not follow from the recorded outputs; nothing was re-run"] + [str(p) for p in rescore_probs[:20]]
            return _finish(pack, report, ui, v.get("signing_key"))

    # 3. The draw: a prefix of one seeded permutation per benchmark (nested across fractions).
    population = {b: [(r.sample_id, r.run) for r in recs] for b, recs in records.items()}
    triples = draw(population, seed=int(v["seed"]), run_id=str(manifest.get("run_id")),
                   fraction=None if v["samples"] is not None else float(v["fraction"]), samples=v["samples"])
    report["draw"] = {"triples": [t.to_dict() for t in triples], "per_benchmark": dict(Counter(t.benchmark for t in triples))}

    # 4. The re-run: the run's scoring stage (workers forked first), one engine, every drawn request in one batch.
    #    Interactive episodes (τ²) are checked for integrity like everything else but not re-run.
    report["not_rerun"] = [dict(t.to_dict(), reason="interactive episode: integrity-checked, not re-run")
                           for t in triples if t.benchmark not in rerunnable]
    triples = [t for t in triples if t.benchmark in rerunnable]
    try:
        fresh, by_key, rerun_problems, forced, engine_info = _rerun(pack, run_spec, spec_doc, triples, benchmarks, samples, count_tokens)
    except HarnessError:
        raise
    except Exception as err:  # the verifier's engine, not the pack: exit 2 and no verdict in the team's pack
        raise ConfigError(f"the re-run could not be made on this machine ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                          "no verdict was written. Check model.path, model.engine_args and the engine's log", field="model") from err
    report["engine"] = engine_info
    report["setup_differences"] = _setup_differences(manifest, OmegaConf.to_container(OmegaConf.create(run_spec.config["model"])),
                                                     engine_info, bool(v["batch_invariant"]))
    report["batch_invariant_env"] = os.environ.get("VLLM_BATCH_INVARIANT")
    report["prompt_notes"] = [p.to_dict() for p in rerun_problems]
    tol = tolerance(report["setup_differences"], engine_info.get("dtype") or (manifest.get("engine") or {}).get("dtype"),
                    v["epsilon"], v["ll_tolerance"])
    report["tolerance"] = tol.to_dict()

    # 5. The comparison, per triple, per benchmark and over the subset.
    rows = [{**t.to_dict(), **compare_triple(by_key[(t.benchmark, t.sample_id, t.run)], fresh[t].responses, fresh[t].metrics,
                                             spec_doc["benchmarks"][t.benchmark]["metric"], tol.epsilon, tol.ll_tolerance)}
            for t in triples]
    report["teacher_forced"] = _teacher_forced(rows, triples, by_key, forced, tol) if forced is not None else \
        "not available: the engine cannot score given tokens (a server); ties are judged by the re-run alone"
    counts = Counter(r["divergence"]["kind"] for r in rows)
    counts["score_changed"] = sum(not r["score_identical"] for r in rows)
    counts["tie_changed_score"] = sum(r["divergence"]["kind"] == NUMERIC_TIE and not r["score_identical"] for r in rows)
    subset = compare_subset([_score(r["recorded_score"]) for r in rows], [_score(r["rerun_score"]) for r in rows])
    per_bench = {b: compare_subset([_score(r["recorded_score"]) for r in rows if r["benchmark"] == b],
                                   [_score(r["rerun_score"]) for r in rows if r["benchmark"] == b]).to_dict()
                 for b in sorted({r["benchmark"] for r in rows})}
    report.update(triples=rows, counts=dict(counts), subset=subset.to_dict(), per_benchmark=per_bench)
    report["not_rerun_count"] = len(report["not_rerun"])

    # 6. The verdict: each benchmark's drawn scores within the tolerance of that benchmark, not pooled.
    reasons = []
    if counts.get(UNEXPLAINED, 0) > int(pol["max_unexplained"]):
        reasons.append(f"{counts[UNEXPLAINED]} unexplained divergence(s) (policy allows {pol['max_unexplained']})")
    for bench, sub in per_bench.items():
        if abs(sub["mean_difference"]) > float(pol["max_score_difference"]):
            reasons.append(f"{bench}: drawn scores moved by {sub['mean_difference']:+.2f} points over {sub['n']} triple(s) "
                           f"(tolerance {pol['max_score_difference']}); {sum(r['benchmark'] == bench and not r['score_identical'] for r in rows)} changed")
    if problems:  # integrity problems under a lenient policy still show
        reasons.append(f"{len(problems)} integrity problem(s) tolerated by policy")
    if prompt_probs:
        reasons.append(f"prompts or items of {len(prompt_probs)} benchmark(s) differ from the task's, tolerated by policy")
    if report.get("rescore", {}).get("problems"):
        reasons.append(f"{len(report['rescore']['problems'])} re-scoring difference(s) tolerated by policy")
    report["verdict"] = "FAIL" if any("tolerated" not in r for r in reasons) else "PASS"
    report["reasons"] = reasons or [f"all {len(rows)} drawn triples identical ({counts.get(IDENTICAL, 0)}) or numeric ties ({counts.get(NUMERIC_TIE, 0)}); "
                                    f"subset difference {subset.mean_difference:+.2f} points; tolerance: {tol.reason}"]
    if report["not_rerun"]:
        report["reasons"].append(f"{len(report['not_rerun'])} drawn interactive episode(s) integrity-checked only, not re-run")
    report["excluded"] = _excluded(records)
    report["reasons"] += [f"{b}: {e['n_excluded']} sample(s) left out of the scores, not counted as wrong (unscored runs: "
                          + ", ".join(f"{k} {n}" for k, n in e["unscored"].items()) + ")" for b, e in report["excluded"].items()]
    return _finish(pack, report, ui, v.get("signing_key"))


def _teacher_forced(rows: list[dict], triples: list, by_key: dict, forced: dict, tol: Any) -> dict[str, Any]:
    """Attach each drawn output's teacher-forced check to its row; an inconsistent recorded output is
    unexplained whatever the re-run found (a tie explains nothing when the recorded path is not the model's)."""
    from harness.verify.forced import check_forced

    worst, checked, bad = 0.0, 0, 0
    for row, t in zip(rows, triples, strict=True):
        rec = by_key[(t.benchmark, t.sample_id, t.run)]
        checks = [check_forced(resp, f, tol.forced, max(tol.epsilon, tol.forced)) for resp, f in zip(rec.responses, forced[t]) if f is not None]
        if not checks:
            continue
        checked += 1
        worst = max([worst] + [c.max_delta for c in checks])
        failed = next((c for c in checks if not c.consistent), None)
        row["forced"] = (failed or checks[0]).to_dict() | {"max_delta": max(c.max_delta for c in checks), "tokens": sum(c.tokens for c in checks)}
        if failed is not None:
            bad += 1
            row["divergence"] = {"kind": UNEXPLAINED, "position": failed.position,
                                 "detail": f"teacher-forced: {failed.detail}" + (f" (the re-run found: {row['divergence']['kind']})" if row["divergence"]["kind"] != UNEXPLAINED else "")}
    return {"outputs": checked, "inconsistent": bad, "max_logprob_delta": worst, "tolerance": tol.forced}


def _score(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0  # no recorded value counts as 0, as the summary does


def _rerun(pack: Path, run_spec: Any, spec_doc: dict, triples: list, benchmarks: dict, samples: dict, count_tokens: Any) -> tuple:
    """Re-issue the drawn triples on one engine (and the judge's), score them through the run's stage."""
    from harness.engines.factory import make_engine
    from harness.records.store import RecordStore
    from harness.scoring.stage import ScoringStage
    from harness.engines.base import TokenScorer
    from harness.verify.rerun import forced_scores, rerun_triples

    with ScoringStage(benchmarks, samples, workers=run_spec.scoring_workers, count_tokens=count_tokens) as stage:
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
            forced = forced_scores(triples, by_key, prompts, engine) if isinstance(engine, TokenScorer) else None
            return fresh, by_key, rerun_problems, forced, engine.describe()
        finally:
            engine.close()
            if judge_engine is not engine:
                judge_engine.close()


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


def _finish(pack: Path, report: dict[str, Any], ui: Any, key: Any = None) -> int:
    path = write_report(pack, report, key)
    ui.out.print(f"{report['verdict']}: {report['reasons'][0]}", markup=False, highlight=False)
    for reason in report["reasons"][1:6]:
        ui.out.print(f"  {reason}", markup=False, highlight=False)
    ui.say(f"report: {path} (and {path.with_suffix('.md').name})")
    return 0 if report["verdict"] == "PASS" else 1
