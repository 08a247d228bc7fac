"""From lm-eval instances to engine requests, and from engine results back to records."""

from __future__ import annotations

from typing import Any

from harness.config.spec import Generation
from harness.engines.base import GenerationRequest, GenerationResult, LoglikelihoodRequest, LoglikelihoodResult
from harness.pack.hashing import sha256_text
from harness.records.schema import Response

DEFAULT_MAX_TOKENS = 256


def generation_request(context: str, gen_kwargs: dict[str, Any], settings: Generation, seed: int, logprobs: int) -> GenerationRequest:
    """The task's generation kwargs, overridden by the harness's settings where those are set (`stop`
    replaces the task's `until`)."""
    kw = dict(gen_kwargs or {})
    until = kw.get("until") or []
    stop = (until,) if isinstance(until, str) else tuple(until)
    if settings.stop is not None:
        stop = tuple(settings.stop)
    if settings.temperature is not None:
        temperature = settings.temperature
    else:  # lm-eval's convention: greedy unless the task samples
        temperature = float(kw.get("temperature", 0.0)) if kw.get("do_sample", float(kw.get("temperature", 0.0)) > 0) else 0.0
    top_p = settings.top_p if settings.top_p is not None else float(kw.get("top_p", 1.0) or 1.0)
    top_k = settings.top_k if settings.top_k is not None else int(kw.get("top_k", -1) or -1)
    max_tokens = settings.max_tokens or int(kw.get("max_gen_toks") or DEFAULT_MAX_TOKENS)
    return GenerationRequest(
        prompt=context, seed=seed, max_tokens=max_tokens, temperature=temperature,
        top_p=top_p, top_k=top_k, stop=stop, logprobs=logprobs,
    )


def request_settings(req: GenerationRequest) -> dict[str, Any]:
    return {"max_tokens": req.max_tokens, "temperature": req.temperature, "top_p": req.top_p, "top_k": req.top_k, "stop": list(req.stop)}


def request_from_record(prompt: str, resp: Response, logprobs: int) -> GenerationRequest:
    """The generation request a recorded response answered, re-issued exactly (the verifier's re-run)."""
    s = resp.settings or {}
    return GenerationRequest(
        prompt=prompt, seed=int(resp.seed or 0), max_tokens=int(s["max_tokens"]), temperature=float(s["temperature"]),
        top_p=float(s["top_p"]), top_k=int(s["top_k"]), stop=tuple(s.get("stop") or ()), logprobs=logprobs,
    )


def generation_response(req: GenerationRequest, res: GenerationResult) -> Response:
    return Response(
        request_type="generate_until",
        prompt_sha256=sha256_text(req.prompt),
        text=res.text,
        finish_reason=res.finish_reason,
        seed=req.seed,
        settings=request_settings(req),
        token_ids=res.token_ids,
        logprobs=res.logprobs,
        top_ids=res.top_ids,
        top_logprobs=res.top_logprobs,
    )


def loglikelihood_response(req: LoglikelihoodRequest, res: LoglikelihoodResult) -> Response:
    return Response(
        request_type="loglikelihood",
        prompt_sha256=sha256_text(req.context),
        continuation=req.continuation,
        loglikelihood=res.logprob,
        is_greedy=res.is_greedy,
        token_ids=res.token_ids,
        logprobs=res.token_logprobs,
        top_ids=res.top_ids,
        top_logprobs=res.top_logprobs,
    )
