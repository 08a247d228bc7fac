"""The engine contract: one engine per job, reused across every benchmark and every run.

Engines see plain requests (text in, tokens and log-probs out); lm-eval's task objects stay in the task
bridge. Each sampled request carries its own seed; an engine must make (prompt, settings, seed) → output a
function, independent of what else is in the batch, as far as its numerics allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    seed: int
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1  # -1: off
    stop: tuple[str, ...] = ()
    logprobs: int = 2  # alternatives recorded per generated token (the chosen token's log-prob always)


@dataclass
class GenerationResult:
    text: str
    token_ids: list[int]
    logprobs: list[float]  # of each chosen token, fp32
    top_ids: list[list[int]] = field(default_factory=list)  # per position, best first
    top_logprobs: list[list[float]] = field(default_factory=list)
    finish_reason: str | None = None  # "stop" | "length"


@dataclass(frozen=True)
class LoglikelihoodRequest:
    context: str
    continuation: str


@dataclass
class LoglikelihoodResult:
    logprob: float  # sum over the continuation's tokens
    is_greedy: bool  # every continuation token was the argmax
    token_ids: list[int] = field(default_factory=list)  # the continuation's tokens
    token_logprobs: list[float] = field(default_factory=list)
    top_ids: list[list[int]] = field(default_factory=list)
    top_logprobs: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class ForcedRequest:
    """A recorded output to score under the model, token by token (teacher forcing), after its prompt."""

    prompt: str
    token_ids: tuple[int, ...]
    top: int = 20  # alternatives returned per position (vLLM's default max_logprobs)


@dataclass
class ForcedResult:
    logprobs: list[float]  # each given token's raw log-prob under the model
    ranks: list[int]  # its rank (1 = the argmax)
    top_ids: list[list[int]] = field(default_factory=list)  # per position, best first
    top_logprobs: list[list[float]] = field(default_factory=list)


def split_in_vocab(token_ids: Sequence[int], vocab_size: int) -> int:
    """How many leading tokens are ids the model has: a recorded id outside the vocabulary (a forgery, or another
    model's output) cannot be fed to the model, so scoring stops there and the rest score -inf."""
    return next((i for i, t in enumerate(token_ids) if not 0 <= t < vocab_size), len(token_ids))


def pad_out_of_vocab(result: ForcedResult, n: int) -> ForcedResult:
    """Positions past the first out-of-vocabulary token: impossible for the model (log-prob -inf)."""
    missing = n - len(result.logprobs)
    result.logprobs += [float("-inf")] * missing
    result.ranks += [0] * missing  # 0: no rank, the model cannot produce it
    result.top_ids += [[] for _ in range(missing)]
    result.top_logprobs += [[] for _ in range(missing)]
    return result


@runtime_checkable
class TokenScorer(Protocol):
    """An engine that can score given tokens in one forward pass (the verifier's teacher-forced check)."""

    def score_tokens(self, requests: Sequence[ForcedRequest]) -> list[ForcedResult]: ...


@runtime_checkable
class Engine(Protocol):
    name: str

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, GenerationResult]]:
        """Yield (index into `requests`, result) as each request finishes, in any order."""
        ...

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodResult]:
        """Score each continuation after its context, in order."""
        ...

    def apply_chat_template(
        self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None
    ) -> str:
        """Render a chat (tool schemas included, where the template renders them) as the model's prompt
        text, ending with the assistant's turn."""
        ...

    def describe(self) -> dict[str, Any]:
        """Engine name, versions and every setting, for the manifest."""
        ...

    def close(self) -> None: ...
