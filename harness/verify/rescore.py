"""Every record re-scored from its own recorded output, before any engine starts.

A forged metric on a record nobody draws would otherwise pass: the hash index only binds records to the
run, and a forger who reseals the index binds the forgery too. Scoring needs no model (a record's metrics
follow from its responses under the benchmark's scorer; judged metrics from its recorded judge verdict),
so the verifier scores every record through the run's scoring stage (harness.scoring.stage), streamed in
batches, and names each field that disagrees (harness.verify.diagnose.rescore_problems). Interactive
episodes (τ²) are scored by their environment during the episode and are not re-scored here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.records.schema import SampleRecord
from harness.records.store import RecordStore
from harness.verify.problems import Problem

BATCH = 512  # records scored at a time: bounded memory whatever the pack's size


def _batches(store: RecordStore, bench: str) -> Iterator[list[SampleRecord]]:
    batch: list[SampleRecord] = []
    for rec in store.iter_rows(bench):  # scorers read text and log-likelihoods, never the token arrays
        batch.append(rec)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def rescore_all(store: RecordStore, benchmarks: dict[str, Any], samples: dict[str, dict[str, Any]], stage: Any) -> tuple[list[Problem], list[Problem], dict[str, int]]:
    """(problems, notes, records re-scored per benchmark) for every record of the given benchmarks. A differing
    extracted answer whose metrics still agree is a note, not a problem: scores come from metrics, and the
    text a filter keeps can change between harness versions (whitespace) without changing any score."""
    from harness.benchmarks.base import Generated
    from harness.pack.summary import SANDBOX_ERROR, unscored_kind
    from harness.scoring.stage import score_records
    from harness.verify.diagnose import rescore_problems

    problems: list[Problem] = []
    notes: list[Problem] = []
    counts: dict[str, int] = {}
    for bench in sorted(benchmarks):
        counts[bench] = 0
        by_id = samples[bench]
        for batch in _batches(store, bench):
            scorable = [r for r in batch if r.sample_id in by_id and len(r.responses) == by_id[r.sample_id].n_answers
                        and unscored_kind(r.score_error) != SANDBOX_ERROR]
            rescored = score_records(stage, [(bench, Generated(by_id[r.sample_id], r.run, r.seed, r.responses)) for r in scorable])
            fresh = {(r.sample_id, r.run): r for r in rescored}
            for rec in batch:
                if unscored_kind(rec.score_error) == SANDBOX_ERROR:
                    continue  # the run's sandbox failed, not the program: left out of the scores, nothing to compare
                found = rescore_problems(bench, rec, fresh.get((rec.sample_id, rec.run)), by_id.get(rec.sample_id))
                metric_ok = not any(p.field and not p.field.startswith("extracted.") for p in found)
                for p in found:
                    (notes if metric_ok and p.field and p.field.startswith("extracted.") else problems).append(p)
            counts[bench] += len(scorable)
    return problems, notes, counts


def dropped_items(records: dict[str, list[Any]], samples: dict[str, dict[str, Any]]) -> list[Problem]:
    """Items the task yields (at the pack's data revision and sample limit) that no record holds: an item
    removed from every run, with spec.json's count lowered to match, raises a score without a trace."""
    out = []
    for bench, by_id in sorted(samples.items()):
        have = {r.sample_id for r in records.get(bench, [])}
        missing = sorted(set(by_id) - have)
        if missing:
            out.append(Problem("records", f"records/{bench}.jsonl", f"{len(missing)} of the task's {len(by_id)} items have no record "
                               f"(dropped): {', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}", sample=missing[0]))
    return out
