"""transformers (AutoModelForCausalLM) on one device, with per-request seeds inside a batch.

`generate()` of transformers draws every row of a batch from one random stream, so a request's output would
depend on its batch-mates. We decode ourselves: left-padded batches with a KV cache, per-row temperature,
top-p and top-k, and a `torch.Generator` per row seeded from the request. Log-probabilities are the raw
(pre-temperature) fp32 log-softmax, as vLLM reports them. Loglikelihoods follow lm-eval's HFLM.
"""

from __future__ import annotations

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


class HFEngine:
    name = "hf"

    def __init__(
        self,
        path: str,
        *,
        tokenizer: str | None = None,
        dtype: str = "float32",
        device: str = "auto",
        batch_size: int = 16,
        max_length: int | None = None,
        trust_remote_code: bool = False,
    ):
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch, self._transformers = torch, transformers
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto":
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
        self.path, self.device, self.dtype, self.batch_size = path, device, dtype, int(batch_size)
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer or path, trust_remote_code=trust_remote_code)
        self.model = AutoModelForCausalLM.from_pretrained(
            path, dtype=getattr(torch, dtype), trust_remote_code=trust_remote_code
        ).to(device)
        self.model.eval()
        self.max_length = int(max_length or self._resolve_max_length())
        self.eos_ids = self._eos_ids()
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]

    def _resolve_max_length(self) -> int:
        """lm-eval's rule (HFLM.max_length), so contexts are left-truncated at the same token."""
        cfg = getattr(self.model.config, "text_config", None) or self.model.config
        for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
            if getattr(cfg, attr, None) is not None:
                return int(getattr(cfg, attr))
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        return int(tok_max) if tok_max is not None and tok_max < 10**30 else 2048  # 1e30: transformers' "unset"

    def _eos_ids(self) -> list[int]:
        ids = self.model.generation_config.eos_token_id if self.model.generation_config else None
        ids = list(ids) if isinstance(ids, list) else [ids] if ids is not None else []  # a copy: we append
        if self.tokenizer.eos_token_id is not None:
            ids.append(self.tokenizer.eos_token_id)
        return sorted(set(ids))

    # -- loglikelihood ----------------------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodResult]:
        torch = self._torch
        pairs = []
        for r in requests:
            ctx, cont = encode_pair(self.tokenizer, r.context, r.continuation)
            # lm-eval feeds (context + continuation)[:-1], left-truncated to max_length + 1 tokens
            whole = (ctx + cont)[-(self.max_length + 1) :]
            pairs.append((whole[:-1], cont))
        results: list[LoglikelihoodResult | None] = [None] * len(pairs)
        order = sorted(range(len(pairs)), key=lambda i: -len(pairs[i][0]))  # similar lengths share a batch
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(pairs[i][0]) for i in idx)
            ids = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):  # right padding: positions stay as in an unpadded pass
                inp = pairs[i][0]
                ids[row, : len(inp)] = torch.tensor(inp)
                mask[row, : len(inp)] = 1
            with torch.no_grad():
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            for row, i in enumerate(idx):
                inp, cont = pairs[i]
                span = logp[row, len(inp) - len(cont) : len(inp)]
                target = torch.tensor(cont)
                tok_lp = span.gather(1, target[:, None]).squeeze(1)
                best = span.argmax(dim=-1)
                results[i] = LoglikelihoodResult(
                    logprob=float(tok_lp.sum()),
                    is_greedy=bool((best == target).all()),
                    token_ids=list(cont),
                    token_logprobs=[float(x) for x in tok_lp],
                    top_ids=[[int(b)] for b in best],
                    top_logprobs=[[float(span[j, b])] for j, b in enumerate(best)],
                )
        return results  # type: ignore[return-value]

    def score_tokens(self, requests: Sequence[ForcedRequest]) -> list[ForcedResult]:
        """Teacher forcing: each recorded output after its prompt, one forward pass per request."""
        torch = self._torch
        results = []
        vocab = int(self.model.get_output_embeddings().weight.shape[0])
        for full in requests:
            r = ForcedRequest(full.prompt, tuple(full.token_ids[:split_in_vocab(full.token_ids, vocab)]), full.top)
            ctx = encode(self.tokenizer, r.prompt)
            if not r.token_ids:
                results.append(pad_out_of_vocab(ForcedResult([], []), len(full.token_ids)))
                continue
            ids = torch.tensor([ctx + list(r.token_ids)], dtype=torch.long, device=self.device)
            with torch.no_grad():
                logits = self.model(input_ids=ids).logits[0, len(ctx) - 1 : -1]
            logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            target = torch.tensor(r.token_ids, dtype=torch.long)
            tok_lp = logp.gather(1, target[:, None]).squeeze(1)
            ranks = (logp > tok_lp[:, None]).sum(dim=1) + 1
            top_lp, top_id = logp.topk(r.top, dim=-1)
            results.append(pad_out_of_vocab(ForcedResult([float(x) for x in tok_lp], [int(x) for x in ranks],
                                                         top_id.tolist(), top_lp.tolist()), len(full.token_ids)))
        return results

    # -- generation -------------------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[tuple[int, GenerationResult]]:
        order = sorted(range(len(requests)), key=lambda i: -len(requests[i].prompt))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            yield from zip(idx, self._generate_batch([requests[i] for i in idx]), strict=True)

    def _generate_batch(self, reqs: list[GenerationRequest]) -> list[GenerationResult]:
        torch = self._torch
        prompts = [encode(self.tokenizer, r.prompt) for r in reqs]
        # as HFLM.generate_until: keep the last (max_length - max_tokens) prompt tokens, at least one
        prompts = [p[-max(self.max_length - r.max_tokens, 1) :] for p, r in zip(prompts, reqs, strict=True)]
        n, width = len(reqs), max(len(p) for p in prompts)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((n, width), dtype=torch.long)
        for row, p in enumerate(prompts):  # left padding: every row's next token is at the last column
            ids[row, width - len(p) :] = torch.tensor(p)
            mask[row, width - len(p) :] = 1
        gens = [torch.Generator().manual_seed(r.seed) for r in reqs]
        out_ids: list[list[int]] = [[] for _ in reqs]
        out_lps: list[list[float]] = [[] for _ in reqs]
        top_ids: list[list[list[int]]] = [[] for _ in reqs]
        top_lps: list[list[list[float]]] = [[] for _ in reqs]
        finish: list[str | None] = [None] * n
        texts = [""] * n
        past, step_ids = None, ids
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        step_pos = positions
        for _ in range(max(r.max_tokens for r in reqs)):
            with torch.no_grad():
                out = self.model(
                    input_ids=step_ids.to(self.device), attention_mask=mask.to(self.device),
                    position_ids=step_pos.to(self.device), past_key_values=past, use_cache=True,
                )
            past = out.past_key_values
            logp = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1).cpu()
            nxt = torch.full((n,), self.pad_id, dtype=torch.long)
            for row, r in enumerate(reqs):
                if finish[row] is not None:
                    continue
                tok = self._sample(logp[row], r, gens[row])
                nxt[row] = tok
                k = max(r.logprobs, 1)
                vals, tops = logp[row].topk(k)
                out_ids[row].append(tok)
                out_lps[row].append(float(logp[row, tok]))
                top_ids[row].append([int(t) for t in tops])
                top_lps[row].append([float(v) for v in vals])
                finish[row] = self._stopped(row, r, out_ids, texts)
            if all(f is not None for f in finish):
                break
            step_ids = nxt[:, None]
            mask = torch.cat([mask, torch.ones((n, 1), dtype=torch.long)], dim=1)
            step_pos = step_pos[:, -1:] + 1
        return [
            GenerationResult(texts[i] if finish[i] == "stop" else self._decode(out_ids[i]), out_ids[i], out_lps[i], top_ids[i], top_lps[i], finish[i] or "length")
            for i in range(n)
        ]

    def _sample(self, logp, r: GenerationRequest, gen) -> int:
        torch = self._torch
        if r.temperature <= 0:
            return int(logp.argmax())
        probs = torch.softmax(logp / r.temperature, dim=-1)
        if r.top_k and r.top_k > 0:
            kth = probs.topk(min(r.top_k, probs.numel())).values[-1]
            probs = torch.where(probs >= kth, probs, torch.zeros_like(probs))
        if r.top_p < 1.0:
            sorted_p, sorted_i = probs.sort(descending=True)
            keep = sorted_p.cumsum(0) - sorted_p < r.top_p  # keep the smallest prefix reaching top_p
            probs = torch.zeros_like(probs).scatter(0, sorted_i[keep], sorted_p[keep])
        return int(torch.multinomial(probs / probs.sum(), 1, generator=gen))

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _stopped(self, row: int, r: GenerationRequest, out_ids: list[list[int]], texts: list[str]) -> str | None:
        ids = out_ids[row]
        if ids[-1] in self.eos_ids:
            texts[row] = self._decode(ids[:-1])
            return "stop"
        if r.stop:
            text = self._decode(ids)
            cut = min((text.find(s) for s in r.stop if s and s in text), default=-1)
            if cut >= 0:  # as lm-eval: the text ends before the first stop string
                texts[row] = text[:cut]
                return "stop"
        if len(ids) >= r.max_tokens:
            return "length"
        return None

    # -- the rest ---------------------------------------------------------------------------------------
    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "transformers_version": self._transformers.__version__,
            "torch_version": self._torch.__version__,
            "path": self.path,
            "dtype": self.dtype,
            "device": self.device,
            "batch_size": self.batch_size,
            "max_length": self.max_length,
        }

    def close(self) -> None:
        self.model = None
