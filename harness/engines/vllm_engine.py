"""Offline vLLM (`vllm.LLM`): loaded once per job; requests stream back as each finishes.

Engine arguments pass through unchanged (tensor/pipeline parallel size, dtype, max_model_len, …). We
tokenise prompts ourselves (harness.engines.tokens) so every engine feeds the model the same token ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from harness.engines.base import (
    ForcedRequest,
    ForcedResult,
    GenerationRequest,
    GenerationResult,
    LoglikelihoodRequest,
    LoglikelihoodResult,
    pad_out_of_vocab,
    split_in_vocab,
)
from harness.engines.tokens import encode, encode_pair, render_chat


# Names vLLM itself sets in the environment with a fresh random value in every process: they say nothing about
# the setup, and recording them made two runs of the same job (or a job and its merged shards) differ.
_PER_PROCESS_ENV = {"VLLM_DIST_IDENT", "VLLM_OBJECT_STORAGE_SHM_BUFFER_NAME"}


class VLLMEngine:
    name = "vllm"

    def __init__(
        self,
        path: str,
        *,
        tokenizer: str | None = None,
        engine_args: dict[str, Any] | None = None,
        batch_invariant: bool = False,
        trust_remote_code: bool = False,
        seed: int = 0,
    ):
        # vLLM reads these at import/start; they are recorded in describe().
        if batch_invariant:
            os.environ["VLLM_BATCH_INVARIANT"] = "1"
        import vllm

        self._vllm = vllm
        self.path = path
        self.batch_invariant = batch_invariant
        self.engine_args = dict(engine_args or {})
        self.llm = vllm.LLM(
            model=path,
            tokenizer=tokenizer or path,
            trust_remote_code=trust_remote_code,
            seed=seed,
            **self.engine_args,
        )
        self.tokenizer = self.llm.get_tokenizer()
        self.max_model_len = int(self.llm.llm_engine.model_config.max_model_len)

    # -- generation -------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, GenerationResult]]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if not requests:
            return
        prompts = [TokensPrompt(prompt_token_ids=encode(self.tokenizer, r.prompt)) for r in requests]
        params = [
            SamplingParams(
                n=1,
                temperature=r.temperature,
                top_p=r.top_p,
                top_k=r.top_k if r.top_k and r.top_k > 0 else -1,
                max_tokens=r.max_tokens,
                stop=list(r.stop) or None,
                seed=r.seed,
                logprobs=r.logprobs,
            )
            for r in requests
        ]
        internal_ids = self.llm.enqueue(prompts, params, use_tqdm=False)
        # enqueue() answers internal ids "<request id>-<suffix>"; step() outputs carry the request id.
        index = {rid.rsplit("-", 1)[0]: i for i, rid in enumerate(internal_ids)}
        engine = self.llm.llm_engine
        pending = dict(zip(index, internal_ids, strict=True))
        try:
            while engine.has_unfinished_requests():
                for out in engine.step():
                    if out.finished and out.request_id in index:
                        pending.pop(out.request_id, None)
                        yield index[out.request_id], self._generation_result(out, requests[index[out.request_id]])
        finally:
            if pending:  # the consumer stopped early: leave the engine clean for the next call
                engine.abort_request(list(pending.values()), internal=True)

    @staticmethod
    def _generation_result(out: Any, req: GenerationRequest) -> GenerationResult:
        c = out.outputs[0]
        token_ids = list(c.token_ids)
        logprobs, top_ids, top_lps = [], [], []
        for tid, d in zip(token_ids, c.logprobs or [], strict=False):
            logprobs.append(float(d[tid].logprob))
            ranked = sorted(((lp.rank, t, lp.logprob) for t, lp in d.items() if lp.rank is not None), key=lambda x: x[0])
            top = [(t, float(lp)) for rank, t, lp in ranked if rank <= max(req.logprobs, 1)]
            top_ids.append([t for t, _ in top])
            top_lps.append([lp for _, lp in top])
        return GenerationResult(
            text=c.text,
            token_ids=token_ids,
            logprobs=logprobs,
            top_ids=top_ids,
            top_logprobs=top_lps,
            finish_reason=c.finish_reason,
        )

    # -- loglikelihood ----------------------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodResult]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if not requests:
            return []
        pairs = [encode_pair(self.tokenizer, r.context, r.continuation) for r in requests]
        pairs = [self._fit(ctx, cont) for ctx, cont in pairs]
        prompts = [TokensPrompt(prompt_token_ids=ctx + cont) for ctx, cont in pairs]
        params = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1, detokenize=False)
        outs = self.llm.generate(prompts, params, use_tqdm=False)
        results = []
        for (ctx, cont), out in zip(pairs, outs, strict=True):
            total, greedy, lps, tops, top_lps = 0.0, True, [], [], []
            for pos, tid in enumerate(cont, start=len(ctx)):
                d = out.prompt_logprobs[pos]
                lp = float(d[tid].logprob)
                total += lp
                greedy = greedy and d[tid].rank == 1
                best = min(d.items(), key=lambda kv: kv[1].rank)
                lps.append(lp)
                tops.append([best[0]])
                top_lps.append([float(best[1].logprob)])
            results.append(LoglikelihoodResult(total, greedy, list(cont), lps, tops, top_lps))
        return results

    def score_tokens(self, requests: Sequence[ForcedRequest]) -> list[ForcedResult]:
        """Teacher forcing: each recorded output after its prompt, one prefill, `top` alternatives a position."""
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if not requests:
            return []
        ctxs = [encode(self.tokenizer, r.prompt) for r in requests]
        vocab = int(self.llm.llm_engine.model_config.get_vocab_size())
        keep = [split_in_vocab(r.token_ids, vocab) for r in requests]
        prompts = [TokensPrompt(prompt_token_ids=ctx + list(r.token_ids[:k])) for ctx, r, k in zip(ctxs, requests, keep, strict=True)]
        params = [SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=r.top, detokenize=False) for r in requests]
        outs = self.llm.generate(prompts, params, use_tqdm=False)
        results = []
        for ctx, r, out, k in zip(ctxs, requests, outs, keep, strict=True):
            res = ForcedResult([], [])
            for pos, tid in enumerate(r.token_ids[:k], start=len(ctx)):
                d = out.prompt_logprobs[pos]
                res.logprobs.append(float(d[tid].logprob))
                res.ranks.append(int(d[tid].rank))
                ranked = sorted(((lp.rank, t, float(lp.logprob)) for t, lp in d.items() if lp.rank is not None and lp.rank <= r.top))
                res.top_ids.append([t for _, t, _ in ranked])
                res.top_logprobs.append([lp for _, _, lp in ranked])
            results.append(pad_out_of_vocab(res, len(r.token_ids)))
        return results

    def _fit(self, ctx: list[int], cont: list[int]) -> tuple[list[int], list[int]]:
        """Left-truncate the context so context + continuation fits, as lm-eval does."""
        overflow = len(ctx) + len(cont) - self.max_model_len
        return (ctx[overflow:], cont) if overflow > 0 else (ctx, cont)

    # -- the rest ---------------------------------------------------------------------------------------
    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "vllm_version": getattr(self._vllm, "__version__", "unknown"),
            "path": self.path,
            "engine_args": self.engine_args,
            "dtype": self._dtype(),
            "batch_invariant": self.batch_invariant,
            "env": {k: v for k, v in os.environ.items() if k.startswith("VLLM_") and k not in _PER_PROCESS_ENV},
            "max_model_len": self.max_model_len,
        }

    def _dtype(self) -> str | None:
        """The dtype vLLM resolved ("auto" becomes the checkpoint's): the verifier's tolerance follows it."""
        try:
            return str(self.llm.llm_engine.model_config.dtype).removeprefix("torch.")
        except AttributeError:
            return self.engine_args.get("dtype")

    def close(self) -> None:
        # Drop the reference only: vLLM's shutdown tears down process-global parallel state that another
        # engine in the same process (a test session's, a judge's) still uses; it runs when collected.
        self.llm = None
