"""An OpenAI-compatible completions server (e.g. `vllm serve`), called concurrently over HTTP.

With a local tokenizer, prompts go as token ids, so the server sees exactly the tokens the other engines
feed their models; vLLM's extras give token ids back (`return_token_ids`, `return_tokens_as_token_ids`),
per-request seeds, and prompt log-probs for loglikelihood requests (`prompt_logprobs`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from harness.engines.base import GenerationRequest, GenerationResult, LoglikelihoodRequest, LoglikelihoodResult
from harness.engines.tokens import encode, encode_pair, render_chat
from harness.errors import ConfigError

TOKEN_ID_PREFIX = "token_id:"


def _token_id(token: str) -> int:
    return int(token.removeprefix(TOKEN_ID_PREFIX))


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
    ):
        import httpx

        self.base_url, self.model = base_url.rstrip("/"), model
        self.concurrency, self.max_retries = int(concurrency), int(max_retries)
        headers = {"Authorization": f"Bearer {os.environ[api_key_env]}"} if os.environ.get(api_key_env) else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        self._httpx = httpx
        self.tokenizer = None
        if tokenizer:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        self._post("/models", None)  # fail now, naming the URL, if nothing answers

    def _post(self, path: str, body: dict | None) -> dict:
        httpx = self._httpx
        for attempt in range(self.max_retries + 1):
            try:
                resp = self._http.get(path) if body is None else self._http.post(path, json=body)
                if resp.status_code < 500:
                    if resp.status_code >= 400:
                        raise ConfigError(f"{self.base_url}{path} answered {resp.status_code}: {resp.text[:500]}", field="model.engine_args")
                    return resp.json()
                error = f"HTTP {resp.status_code}: {resp.text[:200]}"
            except (httpx.TransportError,) as err:
                error = f"{type(err).__name__}: {err}"
            if attempt < self.max_retries:
                time.sleep(min(2**attempt, 30))
        raise ConfigError(f"server at {self.base_url} unreachable or failing ({error})", field="model.engine_args.base_url")

    def _prompt(self, text: str) -> list[int] | str:
        return encode(self.tokenizer, text) if self.tokenizer is not None else text

    # -- generation -------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, GenerationResult]]:
        with ThreadPoolExecutor(self.concurrency) as pool:
            futures = {pool.submit(self._generate_one, r): i for i, r in enumerate(requests)}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()

    def _generate_one(self, r: GenerationRequest) -> GenerationResult:
        body: dict[str, Any] = {
            "model": self.model, "prompt": self._prompt(r.prompt), "max_tokens": r.max_tokens,
            "temperature": r.temperature, "top_p": r.top_p, "seed": r.seed, "logprobs": max(r.logprobs, 1),
            "return_tokens_as_token_ids": True, "return_token_ids": True,
        }
        if r.top_k and r.top_k > 0:
            body["top_k"] = r.top_k
        if r.stop:
            body["stop"] = list(r.stop)
        choice = self._post("/completions", body)["choices"][0]
        lp = choice.get("logprobs") or {}
        token_ids = choice.get("token_ids") or [_token_id(t) for t in lp.get("tokens", [])]
        top_ids, top_lps = [], []
        for step in lp.get("top_logprobs") or []:
            ranked = sorted((step or {}).items(), key=lambda kv: -kv[1])[: max(r.logprobs, 1)]
            top_ids.append([_token_id(t) for t, _ in ranked])
            top_lps.append([float(v) for _, v in ranked])
        return GenerationResult(
            text=choice["text"], token_ids=list(token_ids),
            logprobs=[float(x) for x in lp.get("token_logprobs") or []],
            top_ids=top_ids, top_logprobs=top_lps, finish_reason=choice.get("finish_reason"),
        )

    # -- loglikelihood ----------------------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodResult]:
        if self.tokenizer is None:
            raise ConfigError("loglikelihood requests need a local tokenizer (model.tokenizer=…)", field="model.tokenizer")
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(self._loglikelihood_one, requests))

    def _loglikelihood_one(self, r: LoglikelihoodRequest) -> LoglikelihoodResult:
        ctx, cont = encode_pair(self.tokenizer, r.context, r.continuation)
        body = {"model": self.model, "prompt": ctx + cont, "max_tokens": 1, "temperature": 0.0, "prompt_logprobs": 1}
        choice = self._post("/completions", body)["choices"][0]
        plp = choice["prompt_logprobs"]
        total, greedy, lps, tops, top_lps = 0.0, True, [], [], []
        for pos, tid in enumerate(cont, start=len(ctx)):
            step = {int(k): v for k, v in plp[pos].items()}
            lp = float(step[tid]["logprob"])
            best_id, best = min(step.items(), key=lambda kv: kv[1]["rank"])
            total += lp
            greedy = greedy and step[tid]["rank"] == 1
            lps.append(lp)
            tops.append([best_id])
            top_lps.append([float(best["logprob"])])
        return LoglikelihoodResult(total, greedy, list(cont), lps, tops, top_lps)

    # -- the rest ---------------------------------------------------------------------------------------
    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        if self.tokenizer is None:
            raise ConfigError("chat templates need a local tokenizer (model.tokenizer=…)", field="model.tokenizer")
        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"engine": self.name, "base_url": self.base_url, "model": self.model, "tokenized_locally": self.tokenizer is not None}
        try:
            info["server_models"] = self._post("/models", None).get("data")
        except ConfigError:
            pass
        return info

    def close(self) -> None:
        self._http.close()
