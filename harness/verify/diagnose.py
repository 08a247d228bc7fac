"""Which field of a changed record changed. The hash index names the record (harness.verify.scan); a
record carries enough redundancy to name the field too: its text is the decoding of its token ids, its
metrics and extracted answers follow from its responses under the benchmark's scorer, its judge
metrics are its judge's verdict, its target and document hash are the dataset's.

Runs only on records already flagged (so the verdict is FAIL whatever this finds), after the pure integrity
checks and before any engine starts. The tokenizer check is pure (`tokenizers`); re-scoring loads the
benchmarks as the run did and scores through the run's scoring stage (harness.scoring.stage).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.pack import layout
from harness.records.schema import SampleRecord
from harness.verify.problems import Problem


def load_decoder(model_dir: Path | None) -> Callable[[list[int]], str] | None:
    """token ids → text with the model's own tokenizer.json (fast tokenizers only; None where there is none)."""
    path = Path(model_dir) / "tokenizer.json" if model_dir else None
    if path is None or not path.is_file():
        return None
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    return lambda ids: tok.decode(ids, skip_special_tokens=True)


def text_problems(bench: str, rec: SampleRecord, decode: Callable[[list[int]], str]) -> list[Problem]:
    """An engine's text is its token ids decoded, cut where a stop string began (vLLM also holds back a
    trailing partial UTF-8 character): so the text is a prefix of the decoding, whole unless it stopped."""
    out = []
    for i, resp in enumerate(rec.responses):
        if resp.request_type != "generate_until" or resp.text is None or not resp.token_ids:
            continue
        decoded = decode(resp.token_ids)
        rest = decoded[len(resp.text):] if decoded.startswith(resp.text) else None
        stopped = resp.finish_reason == "stop" or any(s in (rest or "") for s in (resp.settings or {}).get("stop") or ())
        if rest is None or (rest.strip("\ufffd") and not stopped):
            out.append(Problem("records", f"{layout.RECORDS}/{bench}.jsonl", f"responses.{i}.text is not what its token_ids decode to "
                               f"(recorded {_short(resp.text)}, decoded {_short(decoded)})", sample=_where(rec), field=f"responses.{i}.text"))
    return out


def rescore_problems(bench: str, rec: SampleRecord, rescored: SampleRecord | None, sample: Any) -> list[Problem]:
    """The record against its own responses re-scored by the run's scoring stage; every field that disagrees
    is named."""
    from harness.benchmarks.base import doc_sha256

    rel = f"{layout.RECORDS}/{bench}.jsonl"
    if sample is None:
        return [Problem("records", rel, "the benchmark's task yields no such sample", sample=_where(rec), field="sample_id")]
    if rescored is None:
        return [Problem("records", rel, f"{len(rec.responses)} responses, the task asks {sample.n_answers}", sample=_where(rec), field="responses")]
    metrics = dict(rescored.metrics)
    if rec.judge is not None:  # judged metrics are the recorded judge's verdict (re-judged only in the re-run)
        from harness.judge.scorer import verdict_metrics

        metrics.update(verdict_metrics(rec.judge.verdict))
    expected = {"metrics": _plain(metrics), "extracted": _plain(rescored.extracted), "target": _plain(sample.target), "doc_sha256": doc_sha256(sample.doc)}
    recorded = {"metrics": rec.metrics, "extracted": rec.extracted, "target": rec.target, "doc_sha256": rec.doc_sha256}
    out = []
    for fld in ("metrics", "extracted"):
        for key in sorted(set(recorded[fld]) | set(expected[fld])):
            a, b = recorded[fld].get(key), expected[fld].get(key)
            if a != b:
                out.append(Problem("records", rel, f"{fld}.{key}: recorded {_short(a)}, re-scored from the recorded responses {_short(b)}",
                                   sample=_where(rec), field=f"{fld}.{key}"))
    for fld in ("target", "doc_sha256"):
        if recorded[fld] != expected[fld]:
            out.append(Problem("records", rel, f"{fld}: recorded {_short(recorded[fld])}, the dataset gives {_short(expected[fld])}",
                               sample=_where(rec), field=fld))
    return out


def diagnose(changed: dict[str, set[tuple[str, int]]], records: dict[str, list[SampleRecord]],
             decode: Callable[[list[int]], str] | None, benchmarks: dict[str, Any], samples: dict[str, dict[str, Any]],
             count_tokens: Callable[[str], int] | None = None) -> list[Problem]:
    from harness.benchmarks.base import Generated
    from harness.scoring.stage import ScoringStage, score_records

    flagged = [(bench, rec) for bench, keys in sorted(changed.items()) for rec in records.get(bench, []) if (rec.sample_id, rec.run) in keys]
    scorable = [(b, r) for b, r in flagged if b in benchmarks and r.sample_id in samples[b] and len(r.responses) == samples[b][r.sample_id].n_answers]
    with ScoringStage(benchmarks, samples, workers=0, count_tokens=count_tokens) as stage:
        rescored = score_records(stage, [(b, Generated(samples[b][r.sample_id], r.run, r.seed, r.responses)) for b, r in scorable])
    by_key = {(r.benchmark, r.sample_id, r.run): r for r in rescored}
    out = []
    for bench, rec in flagged:
        if decode is not None:
            out += text_problems(bench, rec, decode)
        if bench in benchmarks:
            out += rescore_problems(bench, rec, by_key.get(rec.key), samples[bench].get(rec.sample_id))
    return out


def _plain(obj: Any) -> Any:
    from harness.records.schema import jsonable

    return json.loads(json.dumps(jsonable(obj), ensure_ascii=False))


def _where(rec: SampleRecord) -> str:
    return f"{rec.sample_id} run {rec.run}"


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"
