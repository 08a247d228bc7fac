"""`harness run` from top to bottom: config → benchmarks → samples → engine → generation → scoring stage →
records → stats → pack.

Everything that can be checked without the model is checked first (config, model path, tokenizer, tasks,
metrics, datasets) and every prompt is rendered; the engine then loads once and serves every benchmark and
every run, while the scoring stage's workers score what it generates. Records append as they are scored, so
a killed job started again with the same command continues where it stopped. With `run.shard=K/N` the job
runs its slice of the samples into a part (harness.runner.shards) and the last part to finish merges the pack
(harness.merge).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from harness.config.spec import RunSpec
from harness.models.check import check_model_path, check_tokenizer
from harness.errors import RecordError
from harness.models.registry import ensure_model
from harness.pack import layout
from harness.pack.finish import finish_pack as pack_finish
from harness.pack.finish import write_json as _write_json
from harness.pack.hashing import model_hashes
from harness.records.store import RecordSink, RecordStore, flush_seconds
from harness.seeds import run_seed
from harness.benchmarks.data import DatasetResolver
from harness.benchmarks.pins import check_pins

log = logging.getLogger("harness.run")


def _check_out_dir(out: Path) -> None:
    """A pack goes into a new or empty directory, or one that holds only pack files (a pack being resumed);
    anything else (a checkpoint, a user's files) is refused before a byte is written there."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RecordError(f"{out} exists and is not a directory; choose another out=…", file=out)
    foreign = sorted(p.name for p in out.iterdir() if p.name not in layout.PACK_ENTRIES)
    if foreign:
        raise RecordError(
            f"{out} holds files the harness did not write ({', '.join(foreign[:5])}{'…' if len(foreign) > 5 else ''}); "
            "nothing was changed. Choose a new or empty directory with out=…", file=out)


def _claim_pack(spec: RunSpec, model_info: dict) -> None:
    """Start a new pack, or check that an existing one was made by this same config and model."""
    out = spec.out_dir
    _check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in ((layout.CONFIG, spec.config), (layout.MODEL, model_info)):
        path = out / name
        if path.exists():
            recorded = yaml.safe_load(path.read_text()) if name.endswith(".yaml") else json.loads(path.read_text())
            if recorded != json.loads(json.dumps(content, default=str)):
                raise RecordError(
                    f"{out} holds a pack made with a different {'config' if name == layout.CONFIG else 'model'}; "
                    "nothing was changed. Choose another out=… (or run_id=…) for a new pack",
                    file=path,
                )
        elif name.endswith(".yaml"):
            path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        else:
            _write_json(path, content)


def run_job(spec: RunSpec, ui: Any = None) -> dict[str, Any]:
    """Run the job the spec describes and return the summary (also written to the pack).

    `ui` (harness.console.capture.Capture or Plain) takes the harness's lines and progress, and the job's
    log once the pack directory is claimed."""
    from harness.benchmarks.factory import build_samples, load_benchmarks
    from harness.console.capture import Plain
    from harness.engines.chat import TokenizerChat

    ui = ui or Plain()
    started = time.time()
    # 1. Everything checkable without the model: paths, tokenizer, benchmarks and their data.
    _check_out_dir(spec.out_dir)
    ensure_model(spec.model, ui.say)
    check_model_path(spec.model)
    check_tokenizer(spec.model, [b.name for b in spec.benchmarks if b.generation.chat_template])
    judged = any(b.judge is not None for b in spec.benchmarks)
    if judged and spec.judge_model is not None:
        ensure_model(spec.judge_model, ui.say)
        check_model_path(spec.judge_model)
        check_tokenizer(spec.judge_model)
    judge_name = spec.model.name if spec.judge_model is None else spec.judge_model.name
    check_pins(spec)  # before any data loads: no hub run at a moving head unless data.allow_unpinned=true
    flush_seconds()  # HARNESS_RECORD_FLUSH_S, if set, is read now: a bad value stops the job before any model loads
    simulated = spec.user_model is not None and any(b.kind == "agent" for b in spec.benchmarks)
    if simulated:  # τ²'s simulated user on an engine of its own
        ensure_model(spec.user_model, ui.say)
        check_model_path(spec.user_model)
        check_tokenizer(spec.user_model)
    user_name = spec.user_model.name if simulated else spec.model.name
    resolver = DatasetResolver(spec.data, {d.id: d for b in spec.benchmarks for d in b.datasets})
    benchmarks = load_benchmarks(spec.benchmarks, resolver, judge_model=judge_name)
    model_info = {"path": spec.model.path, **(model_hashes(Path(spec.model.path), spec.model.tokenizer) if spec.model.path else {})}
    _claim_pack(spec, model_info)
    log = ui.move_to(spec.out_dir / layout.LOGS)
    if log is not None and not ui.verbose:
        ui.say(f"engine and library logs: {log} (-v shows them here)")
    store = RecordStore(spec.out_dir)
    done = {name: store.keys(name) for name in benchmarks}
    finished = _finished_summary(spec, done)
    if finished is not None:  # the same command again on a complete pack: report, touch nothing
        ui.say(f"{spec.out_dir} is complete already: nothing to run")
        return finished
    if spec.shard is not None and _part_finished(spec.out_dir):  # a complete part: only the merge may be left
        return _after_part(spec, ui)

    # 2. Samples (prompts rendered with the model's tokenizer), then the scoring stage's workers, then the engine.
    from harness.console.progress import RunProgress
    from harness.engines.factory import make_engine
    from harness.benchmarks.solvers import plan
    from harness.scoring.stage import ScoringStage

    renderer = TokenizerChat.for_model(spec.model)
    samples = build_samples(benchmarks, renderer, spec.max_samples)
    bench_meta = {name: _bench_meta(b, len(samples[name]), judge_name, user_name) for name, b in benchmarks.items()}
    if spec.shard is not None:  # this job's slice only; spec.json still describes the whole suite
        samples = _slice(spec, samples)
    by_id = {name: {s.sample_id: s for s in ss} for name, ss in samples.items()}
    with ScoringStage(benchmarks, by_id, workers=spec.scoring_workers, count_tokens=renderer.count_tokens if renderer else None) as stage:
        ui.say(f"starting the {spec.model.engine} engine on {spec.model.path or spec.model.name}…")
        engine = make_engine(spec.model, seed=spec.seed)
        judge_engine = engine if not judged or spec.judge_model is None else make_engine(spec.judge_model, seed=spec.seed)
        user_engine = make_engine(spec.user_model, seed=spec.seed) if simulated else None
        try:
            with RunProgress(ui.err, interval=float(os.environ.get("HARNESS_PROGRESS_INTERVAL", 30))) as progress, \
                    RecordSink(store, on_append=progress.advance) as sink:
                for name, bench in benchmarks.items():
                    todo = plan(name, samples[name], spec.repeats, spec.seed, done[name])
                    total = len(samples[name]) * spec.repeats
                    progress.add(name, total, already=total - len(todo))

                    def emit(g, _name=name):
                        stage.submit(_name, g)
                        sink.append(stage.ready())
                    solver = bench.solver(base_seed=spec.seed, logprobs=spec.logprobs, max_in_flight=spec.max_in_flight, model_name=spec.model.name)
                    if user_engine is not None and hasattr(solver, "use_user_engine"):
                        solver.use_user_engine(user_engine, user_name)
                    solver.solve(todo, engine, emit)
                    sink.append(stage.ready())
                    sink.append(stage.grade(judge_engine))  # judges read what this benchmark generated, in one batch
                sink.append(stage.ready(wait=True))
                sink.append(stage.grade(judge_engine))
            engine_info = engine.describe()
            if judge_engine is not engine:
                engine_info = {**engine_info, "judge": judge_engine.describe()}
            if user_engine is not None:
                engine_info = {**engine_info, "user_sim": user_engine.describe()}
        finally:
            engine.close()
            if judge_engine is not engine:
                judge_engine.close()
            if user_engine is not None:
                user_engine.close()

    # 3. Scores from the records, then the manifest over everything (a part: its records' index and manifest,
    # then the merge if every part is there).
    if spec.shard is not None:
        finish_part(spec, _spec_doc(spec, bench_meta), _manifest_sections(spec, engine_info, [u.to_dict() for u in resolver.used]),
                    started=started)
        return _after_part(spec, ui)
    return finish_pack(spec, bench_meta, engine_info, [u.to_dict() for u in resolver.used], started=started)


def _slice(spec: RunSpec, samples: dict[str, list]) -> dict[str, list]:
    from harness.runner.shards import assign, claim_shard_file, shard_doc

    k, n = spec.shard
    mine = assign({name: [s.sample_id for s in ss] for name, ss in samples.items()}, k, n)
    claim_shard_file(spec.out_dir, shard_doc(k, n, spec.run_id, spec.pack_dir, mine))
    keep = {name: set(ids) for name, ids in mine.items()}
    return {name: [s for s in ss if s.sample_id in keep[name]] for name, ss in samples.items()}


def _part_finished(part: Path) -> bool:
    return (part / layout.MANIFEST).exists() and (part / layout.SHARD).exists()


def _after_part(spec: RunSpec, ui: Any) -> dict[str, Any]:
    """A part is done: merge the pack if every part is (the last shard to finish does it), and say so."""
    from harness.merge.auto import merge_when_complete

    k, n = spec.shard
    ui.say(f"part {k}/{n} complete: {spec.out_dir}")
    merged = merge_when_complete(spec.pack_dir, n, ui.say)
    return {"part": f"{k}/{n}", "part_dir": str(spec.out_dir), "pack": str(spec.pack_dir) if merged else None}


def _bench_meta(bench: Any, n_samples: int, judge_name: str, user_name: str) -> dict[str, Any]:
    """What spec.json records per benchmark: what it is (from the benchmark itself) and how it was run."""
    spec = bench.spec
    return {
        "task": spec.task,
        "metric": bench.metric_key,
        "area": spec.area,  # NIA files: the file's own area when the config names none
        "n_samples": n_samples,
        "generation": asdict(spec.generation),
        "target_score": spec.target_score,
        "judge": None if spec.judge is None else {"model": judge_name, "prompt_file": spec.judge.prompt_file, "parser": spec.judge.parser},
        **({"user_model": user_name} if spec.kind == "agent" else {}),  # who played τ²'s simulated user
        **bench.describe(),
    }


def _finished_summary(spec: RunSpec, done: dict[str, set]) -> dict[str, Any] | None:
    out = spec.out_dir
    if not all((out / n).exists() for n in (layout.MANIFEST, layout.SPEC, layout.SUMMARY)):
        return None
    meta = json.loads((out / layout.SPEC).read_text())["benchmarks"]
    if set(meta) != set(done) or any(len(done[b]) != meta[b]["n_samples"] * spec.repeats for b in done):
        return None
    return json.loads((out / layout.SUMMARY).read_text())


def _spec_doc(spec: RunSpec, bench_meta: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": layout.PACK_SCHEMA_VERSION, "suite": spec.suite, "repeats": spec.repeats, "seed": spec.seed,
            "max_samples": spec.max_samples, "run_seeds": [run_seed(spec.seed, r) for r in range(spec.repeats)], "benchmarks": bench_meta}


def _manifest_sections(spec: RunSpec, engine_info: dict, datasets: list[dict]) -> dict[str, Any]:
    from harness.engines.parallel import parallelism

    settings = {"repeats": spec.repeats, "seed": spec.seed, "logprobs": spec.logprobs, "max_samples": spec.max_samples,
                "data_source": spec.data.source, "parallelism": parallelism(spec.model)}
    if spec.shard is not None:
        settings["shard"] = "{}/{}".format(*spec.shard)
    return {"engine": engine_info, "datasets": datasets, "settings": settings}


def finish_pack(spec: RunSpec, bench_meta: dict[str, Any], engine_info: dict, datasets: list[dict], started: float | None = None) -> dict[str, Any]:
    return pack_finish(spec.out_dir, _spec_doc(spec, bench_meta), run_id=spec.run_id, model_name=spec.model.name,
                       model_config=spec.config["model"], manifest=_manifest_sections(spec, engine_info, datasets), started=started)


def finish_part(spec: RunSpec, spec_doc: dict[str, Any], manifest: dict[str, Any], started: float) -> None:
    """A part's end: spec.json (the whole suite's, as a single job writes it), each benchmark's per-record hash
    index, and the manifest over them and shard.json. Scores are the merged pack's."""
    from harness.pack.finish import write_index
    from harness.pack.manifest import write_manifest

    store = RecordStore(spec.out_dir)
    _write_json(spec.out_dir / layout.SPEC, spec_doc)
    (spec.out_dir / layout.RECORDS).mkdir(exist_ok=True)  # a slice may hold no sample of some benchmark
    for name in spec_doc["benchmarks"]:
        write_index(store, name)
    k, n = spec.shard
    part = {"index": k, "count": n, "started": started, "finished": time.time(), "model_name": spec.model.name}
    write_manifest(spec.out_dir, run_id=spec.run_id, shard=part, **manifest)
