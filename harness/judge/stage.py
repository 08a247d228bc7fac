"""The judge stage: after a benchmark's responses are generated, a judge engine reads (question, response,
reference) through a versioned prompt file and its verdict becomes the sample's metric.

Every judge input and output is evidence: the judge's prompt goes to the prompt store, its output (tokens,
log-probs) and the parsed verdict into the record, with a seed derived from the sample's seed, so a verifier
can re-run the judge too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.engines.base import Engine, GenerationRequest
from harness.errors import ConfigError
from harness.judge.parse import PARSERS
from harness.paths import REPO_ROOT
from harness.scorers.answers import strip_thinking
from harness.seeds import request_seed


@dataclass(frozen=True)
class JudgeSettings:
    prompt_file: str  # relative to the repository, versioned (e.g. tasks/judges/hle_v1.txt)
    parser: str  # a key of harness.judge.parse.PARSERS
    fields: dict[str, str]  # prompt placeholder → document field ({response} is the model's answer)
    max_tokens: int = 2048
    temperature: float = 0.0

    def template(self) -> str:
        path = REPO_ROOT / self.prompt_file if not Path(self.prompt_file).is_absolute() else Path(self.prompt_file)
        if not path.is_file():
            raise ConfigError("judge prompt file not found", file=path, field="judge.prompt")
        return path.read_text(encoding="utf-8")


def judge_seed(sample_seed: int, benchmark: str, sample_id: str, run: int) -> int:
    return request_seed(sample_seed, f"judge:{benchmark}", sample_id, run)


class JudgeStage:
    def __init__(self, settings: JudgeSettings, engine: Engine, model_name: str, benchmark: str):
        if settings.parser not in PARSERS:
            raise ConfigError(f"unknown judge parser {settings.parser!r}; known: {sorted(PARSERS)}", field="judge.parser")
        self.settings, self.engine, self.model_name, self.benchmark = settings, engine, model_name, benchmark
        self.template = settings.template()

    def prompt(self, doc: dict[str, Any], response: str) -> str:
        values = {k: str(doc.get(v, "")) for k, v in self.settings.fields.items()}
        values["response"] = strip_thinking(response)
        text = self.template.format(**values)
        return self.engine.apply_chat_template([{"role": "user", "content": text}])

    def requests(self, items: list[tuple[dict, str, int, str, int]]) -> list[GenerationRequest]:
        """items: (doc, response text, sample seed, sample id, run)."""
        return [
            GenerationRequest(prompt=self.prompt(doc, text), seed=judge_seed(seed, self.benchmark, sid, run),
                              max_tokens=self.settings.max_tokens, temperature=self.settings.temperature, logprobs=2)
            for doc, text, seed, sid, run in items
        ]

    def verdict(self, text: str) -> dict[str, Any]:
        return PARSERS[self.settings.parser](text)
