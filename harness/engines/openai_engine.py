"""An OpenAI-compatible completions server (e.g. `vllm serve`), called concurrently over HTTP.

With a local tokenizer, prompts go as token ids, so the server sees exactly the tokens the other engines
feed their models. vLLM's extras give token ids back (`return_token_ids`; `return_tokens_as_token_ids`
names log-prob entries "token_id:<id>", so two tokens with one spelling stay apart), take per-request seeds
and `top_k`.

Loglikelihood uses the legacy completions contract lm-eval's `local-completions` relies on: `echo=True`,
`logprobs=1`, here with `max_tokens=0`, which vLLM 0.32 accepts with echo (without echo it wants ≥ 1). We
read the prompt's own log-probs by position, so no token is generated and a context truncated to exactly
the server's `max_model_len` fits, as in VLLMEngine. vLLM computes echoed log-probs on the same path as
its `prompt_logprobs` extra, so the numbers equal VLLMEngine's, and servers other than vLLM that keep the
legacy contract work too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from harness.engines.base import GenerationRequest, GenerationResult, LoglikelihoodRequest, LoglikelihoodResult
from harness.engines.tokens import encode, encode_pair, render_chat
from harness.errors import ConfigError, HarnessError

TOKEN_ID_PREFIX = "token_id:"


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        tokenizer: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 600,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_length: int | None = None,
    ):
        import httpx

        self._httpx = httpx
        self.base_url, self.model = base_url.rstrip("/"), model
        self.concurrency, self.max_retries, self.backoff = int(concurrency), int(max_retries), float(backoff)
        headers = {"Authorization": f"Bearer {os.environ[api_key_env]}"} if os.environ.get(api_key_env) else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self.tokenizer = None
        if tokenizer:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        # Fail now, naming the URL, if nothing answers or the model is not served there.
        self.server_models = self._call("GET", "/models").get("data") or []
        served = {m.get("id"): m for m in self.server_models}
        if served and model not in served:
            raise ConfigError(f"{self.base_url} serves {sorted(served)}, not {model!r}", field="model.engine_args.model")
        self.max_length = max_length or (served.get(model) or {}).get("max_model_len")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API call; connection errors, 429 and 5xx are retried with exponential backoff."""
        url, error = f"{self.base_url}{path}", ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30))
            try:
                resp = self._http.request(method, path, json=body)
            except self._httpx.TransportError as err:  # refused, reset, timed out
                error = f"{type(err).__name__}: {err}"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                error = f"HTTP {resp.status_code}: {resp.text[:200]}"
                continue
            if resp.status_code >= 400:  # our request is wrong: retrying will not help
                raise HarnessError(f"{url} answered HTTP {resp.status_code}: {resp.text[:500]}", field="model.engine_args")
            return resp.json()
        raise HarnessError(
            f"OpenAI-compatible server at {url} unreachable or failing after {self.max_retries + 1} attempt(s): {error}",
            field="model.engine_args.base_url",
        )

    def _token_id(self, token: str) -> int:
        """An id from a log-prob entry: "token_id:<id>" where the server honours the extra, else the
        tokenizer's id for that token string (-1 when unknown)."""
        if token.startswith(TOKEN_ID_PREFIX):
            return int(token.removeprefix(TOKEN_ID_PREFIX))
        tid = self.tokenizer.convert_tokens_to_ids(token) if self.tokenizer is not None else None
        return tid if isinstance(tid, int) else -1

    def _ranked(self, alternatives: dict[str, float] | None, k: int) -> tuple[list[int], list[float]]:
        ranked = sorted((alternatives or {}).items(), key=lambda kv: -kv[1])[:k]
        return [self._token_id(t) for t, _ in ranked], [float(v) for _, v in ranked]

    # -- generation -------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, GenerationResult]]:
        pool = ThreadPoolExecutor(self.concurrency)
        try:
            futures = {pool.submit(self._generate_one, r): i for i, r in enumerate(requests)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:  # a consumer that stops early leaves no queued calls behind
            pool.shutdown(wait=True, cancel_futures=True)

    def _generate_one(self, r: GenerationRequest) -> GenerationResult:
        prompt = encode(self.tokenizer, r.prompt) if self.tokenizer is not None else r.prompt
        body: dict[str, Any] = {
            "model": self.model, "prompt": prompt, "max_tokens": r.max_tokens, "seed": r.seed,
            "temperature": r.temperature, "top_p": r.top_p, "logprobs": max(r.logprobs, 1),
            "return_token_ids": True, "return_tokens_as_token_ids": True,
        }
        if r.top_k and r.top_k > 0:
            body["top_k"] = r.top_k
        if r.stop:
            body["stop"] = list(r.stop)
        choice = self._call("POST", "/completions", body)["choices"][0]
        lp = choice.get("logprobs") or {}
        token_ids = choice.get("token_ids") or [self._token_id(t) for t in lp.get("tokens") or []]
        tops = [self._ranked(alts, max(r.logprobs, 1)) for alts in lp.get("top_logprobs") or []]
        return GenerationResult(
            text=choice["text"],
            token_ids=list(token_ids),
            logprobs=[float(x) for x in lp.get("token_logprobs") or []],
            top_ids=[ids for ids, _ in tops],
            top_logprobs=[lps for _, lps in tops],
            finish_reason=choice.get("finish_reason"),
        )

    # -- loglikelihood ----------------------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodResult]:
        if self.tokenizer is None:
            raise ConfigError("loglikelihood requests need a local tokenizer (model.tokenizer=…)", field="model.tokenizer")
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(self._loglikelihood_one, requests))

    def _loglikelihood_one(self, r: LoglikelihoodRequest) -> LoglikelihoodResult:
        ctx, cont = encode_pair(self.tokenizer, r.context, r.continuation)
        if self.max_length and len(ctx) + len(cont) > self.max_length:  # left-truncate, as lm-eval's vllm
            ctx = ctx[len(ctx) + len(cont) - self.max_length :]
        body = {
            "model": self.model, "prompt": ctx + cont, "max_tokens": 0, "echo": True, "logprobs": 1,
            "temperature": 0.0, "return_tokens_as_token_ids": True,
        }
        lp = self._call("POST", "/completions", body)["choices"][0].get("logprobs") or {}
        token_lps, alternatives = lp.get("token_logprobs") or [], lp.get("top_logprobs") or []
        if min(len(token_lps), len(alternatives)) < len(ctx) + len(cont):
            raise HarnessError(
                f"{self.base_url} did not echo the prompt's log-probs (needs echo=True with logprobs)",
                field="model.engine_args.base_url",
            )
        total, greedy, lps, tops, top_lps = 0.0, True, [], [], []
        for pos in range(len(ctx), len(ctx) + len(cont)):
            best_ids, best_lps = self._ranked(alternatives[pos], 1)  # the argmax is always listed
            lps.append(float(token_lps[pos]))
            total += lps[-1]
            greedy = greedy and lps[-1] >= best_lps[0]  # ties count as greedy, as vLLM's rank 1
            tops.append(best_ids)
            top_lps.append(best_lps)
        return LoglikelihoodResult(total, greedy, list(cont), lps, tops, top_lps)

    # -- the rest ---------------------------------------------------------------------------------------
    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        if self.tokenizer is None:
            raise ConfigError("chat templates need a local tokenizer (model.tokenizer=…)", field="model.tokenizer")
        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "base_url": self.base_url,
            "model": self.model,
            "tokenized_locally": self.tokenizer is not None,
            "max_length": self.max_length,
            "concurrency": self.concurrency,
            "server_models": self.server_models,
        }

    def close(self) -> None:
        self._http.close()
