"""A judge is a scorer that holds an engine: after the benchmark's own (pure) scoring, a judge model reads
(question, response, reference) through a versioned prompt file and its verdict becomes the sample's metric.

Every judge input and output is evidence: the judge's prompt goes to the prompt store, its output (tokens,
log-probs) and the parsed verdict into the record, with a seed derived from the sample's seed, so a verifier
re-judges with the very same code (the scoring stage calls `grade` in both).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.benchmarks.base import Generated, Sample, Score, ScoreContext
from harness.config.spec import JudgeSettings
from harness.engines.base import Engine, GenerationRequest
from harness.errors import ConfigError
from harness.judge.parse import FALLBACKS, PARSERS
from harness.paths import REPO_ROOT
from harness.scorers.answers import strip_thinking
from harness.seeds import request_seed

VERDICT_METRICS = ("correct", "parsed", "refused", "answered")  # what a verdict contributes to the metrics, as "<name>,none"


def judge_seed(sample_seed: int, benchmark: str, sample_id: str, run: int) -> int:
    return request_seed(sample_seed, f"judge:{benchmark}", sample_id, run)


def template_text(settings: JudgeSettings) -> str:
    path = Path(settings.prompt_file) if Path(settings.prompt_file).is_absolute() else REPO_ROOT / settings.prompt_file
    if not path.is_file():
        raise ConfigError("judge prompt file not found", file=path, field="judge.prompt")
    return path.read_text(encoding="utf-8")


def verdict_metrics(verdict: dict[str, Any]) -> dict[str, float]:
    return {f"{k},none": float(v) for k, v in verdict.items() if k in VERDICT_METRICS}


class JudgeScorer:
    needs_engine = True

    def __init__(self, base: Any, settings: JudgeSettings, benchmark: str, model_name: str):
        if settings.parser not in PARSERS:
            raise ConfigError(f"unknown judge parser {settings.parser!r}; known: {sorted(PARSERS)}", field="judge.parser")
        self.base, self.settings, self.benchmark, self.model_name = base, settings, benchmark, model_name
        self.template = template_text(settings)
        self.name = f"judge:{Path(settings.prompt_file).stem}+{base.name}"
        self.version = f"{settings.parser}/{base.version}"

    def score(self, sample: Sample, answers: list[list[Any]], ctx: ScoreContext) -> Score:
        return self.base.score(sample, answers, ctx)  # the task's own metrics; the verdict comes in grade()

    def prompt(self, engine: Engine, doc: dict[str, Any], response: str) -> str:
        values = {k: str(doc.get(v, "")) for k, v in self.settings.fields.items()}
        values["response"] = strip_thinking(response)
        return engine.apply_chat_template([{"role": "user", "content": self.template.format(**values)}])

    def grade(self, items: Sequence[tuple[Generated, Score]], engine: Engine) -> list[Score]:
        """One judge batch for all items: each verdict joins its item's metrics, its request and output the
        record's `judge` field."""
        from harness.pack.hashing import sha256_text
        from harness.records.schema import JudgeRecord
        from harness.benchmarks.requests import generation_response

        requests = [GenerationRequest(prompt=self.prompt(engine, g.sample.doc, g.responses[0].text or ""),
                                      seed=judge_seed(g.seed, self.benchmark, g.sample.sample_id, g.run),
                                      max_tokens=self.settings.max_tokens, temperature=self.settings.temperature, logprobs=2)
                    for g, _ in items]
        out = [s for _, s in items]
        for idx, result in engine.generate(requests):
            verdict = PARSERS[self.settings.parser](result.text)
            fallback = FALLBACKS.get(self.settings.parser)
            if not verdict.get("parsed") and fallback is not None:  # the verdict says "parsed: false" beside it
                verdict = {**verdict, **fallback(items[idx][0].responses[0].text or "")}
            score = out[idx]
            out[idx] = Score(extracted=score.extracted, metrics={**score.metrics, **verdict_metrics(verdict)}, error=score.error,
                             judge=JudgeRecord(model=self.model_name, prompt_file=self.settings.prompt_file,
                                               response=generation_response(requests[idx], result), verdict=verdict),
                             prompts={**score.prompts, sha256_text(requests[idx].prompt): requests[idx].prompt})
        return out
