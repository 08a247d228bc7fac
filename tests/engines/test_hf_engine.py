"""The transformers engine: lm-eval's loglikelihoods, per-request seeds inside a batch, agreement with vLLM."""

from __future__ import annotations

import pytest

from harness.engines.base import GenerationRequest, LoglikelihoodRequest

LL_REQUESTS = [
    LoglikelihoodRequest("the answer is", " (A)"),
    LoglikelihoodRequest("the answer is ", "(B)"),  # trailing space moves to the continuation
    LoglikelihoodRequest("서울 한국 수도", " 서울"),
    LoglikelihoodRequest("", "seoul korea"),  # empty context: the prefix token stands in
    LoglikelihoodRequest("question: two plus two =", " four"),
]


@pytest.fixture(scope="module")
def hf(tiny_model_dir):
    from harness.engines.hf_engine import HFEngine

    return HFEngine(str(tiny_model_dir), dtype="float32", device="cpu", batch_size=4)


def _hflm_loglikelihood(model_dir, requests, **kw):
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(model_dir), dtype="float32", device="cpu", batch_size=2, **kw)
    instances = [
        Instance("loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i, metadata=("t", i, 1))
        for i, r in enumerate(requests)
    ]
    return lm.loglikelihood(instances)


def _greedy_request(hf):
    """A request whose continuation is the model's own greedy text, so is_greedy is True somewhere (where
    the decoded text re-tokenises to the same ids: random byte-level tokens often split a character)."""
    from harness.engines.tokens import encode_pair

    for context in ("서울 한국 수도", "the answer is", "math two plus", "final answer:"):
        out = dict(hf.generate([GenerationRequest(prompt=context, seed=0, max_tokens=3)]))[0]
        if encode_pair(hf.tokenizer, context, out.text)[1] == out.token_ids:
            return LoglikelihoodRequest(context, out.text)
    raise AssertionError("no greedy continuation round-trips through the tokenizer")


def test_loglikelihood_equals_lm_eval_hflm(hf, tiny_model_dir):
    requests = [*LL_REQUESTS, _greedy_request(hf)]
    expected = _hflm_loglikelihood(tiny_model_dir, requests)
    got = hf.loglikelihood(requests)
    assert any(greedy for _, greedy in expected) and not all(greedy for _, greedy in expected)
    for (ll, greedy), res in zip(expected, got, strict=True):
        assert res.logprob == pytest.approx(ll, abs=1e-4)
        assert res.is_greedy == greedy
        assert sum(res.token_logprobs) == pytest.approx(res.logprob, abs=1e-5)


def test_long_contexts_are_left_truncated_as_lm_eval_hflm_does(hf, tiny_model_dir):
    from harness.engines.hf_engine import HFEngine
    from harness.engines.tokens import encode_pair

    short = HFEngine(str(tiny_model_dir), dtype="float32", device="cpu", batch_size=4, max_length=8)
    requests = [
        LoglikelihoodRequest("one two three four five six seven eight nine ten", " eleven"),
        LoglikelihoodRequest("서울 한국 수도 정답은 서울 한국 수도 정답은", " 서울"),
        LoglikelihoodRequest("short", " one"),
    ]
    assert all(sum(map(len, encode_pair(hf.tokenizer, r.context, r.continuation))) > 9 for r in requests[:2])
    expected = _hflm_loglikelihood(tiny_model_dir, requests, max_length=8)
    got = short.loglikelihood(requests)
    for (ll, greedy), res in zip(expected, got, strict=True):
        assert res.logprob == pytest.approx(ll, abs=1e-4)
        assert res.is_greedy == greedy
    full = hf.loglikelihood(requests)  # truncation did change the long ones
    assert full[0].logprob != pytest.approx(got[0].logprob, abs=1e-3)


def _sampled(seed, prompt="the answer is"):
    return GenerationRequest(prompt=prompt, seed=seed, temperature=1.0, top_p=0.95, max_tokens=12)


def test_same_seed_same_output_other_seed_other_output(hf):
    a = dict(hf.generate([_sampled(1)]))[0]
    b = dict(hf.generate([_sampled(1)]))[0]
    outs = {tuple(dict(hf.generate([_sampled(s)]))[0].token_ids) for s in range(6)}
    assert a.token_ids == b.token_ids and a.text == b.text
    assert len(outs) > 1


def test_a_request_alone_and_in_a_batch_of_eight_gives_the_same_tokens(hf):
    prompts = ["the answer is", "서울 한국 수도", "math two plus", "(A) (B) choice", "score run seed", "final answer:", "정답은", "korea"]
    reqs = [_sampled(100 + i, p) for i, p in enumerate(prompts)]
    batch = dict(hf.generate(reqs))
    for i, r in enumerate(reqs):
        alone = dict(hf.generate([r]))[0]
        assert batch[i].token_ids == alone.token_ids
        assert batch[i].logprobs == pytest.approx(alone.logprobs, abs=1e-5)


def test_greedy_equals_transformers_generate(hf, tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    for prompt in ("the answer is", "서울 한국"):
        ids = tok(prompt, return_tensors="pt").input_ids
        ref = model.generate(ids, do_sample=False, max_new_tokens=10, pad_token_id=tok.pad_token_id)[0, ids.shape[1]:].tolist()
        got = dict(hf.generate([GenerationRequest(prompt=prompt, seed=0, max_tokens=10)]))[0]
        eos = tok.eos_token_id
        assert got.token_ids == (ref[: ref.index(eos) + 1] if eos in ref else ref)


def test_stop_strings_cut_the_text_as_lm_eval_does(hf):
    free = dict(hf.generate([GenerationRequest(prompt="the answer is", seed=0, max_tokens=16)]))[0]
    stop = free.text[3:6]
    assert stop.strip()
    cut = dict(hf.generate([GenerationRequest(prompt="the answer is", seed=0, max_tokens=16, stop=(stop,))]))[0]
    assert cut.finish_reason == "stop"
    assert cut.text == free.text[: free.text.find(stop)]


def test_logprobs_and_alternatives_are_recorded(hf):
    res = dict(hf.generate([GenerationRequest(prompt="the answer is", seed=3, temperature=1.0, max_tokens=8, logprobs=2)]))[0]
    assert len(res.token_ids) == len(res.logprobs) == len(res.top_ids) == len(res.top_logprobs)
    for lp, tops in zip(res.logprobs, res.top_logprobs):
        assert len(tops) == 2 and tops[0] >= tops[1] and lp <= tops[0] + 1e-6


@pytest.mark.slow
def test_hf_and_vllm_agree(hf, tiny_vllm):
    prompts = ["the answer is", "서울 한국 수도", "math two plus"]
    reqs = [GenerationRequest(prompt=p, seed=0, max_tokens=10) for p in prompts]
    a, b = dict(hf.generate(reqs)), dict(tiny_vllm.generate(reqs))
    for i in range(len(reqs)):
        assert a[i].token_ids == b[i].token_ids
        assert a[i].logprobs == pytest.approx(b[i].logprobs, abs=1e-4)
    for x, y in zip(hf.loglikelihood(LL_REQUESTS), tiny_vllm.loglikelihood(LL_REQUESTS), strict=True):
        assert x.logprob == pytest.approx(y.logprob, abs=1e-4)
        assert x.is_greedy == y.is_greedy


@pytest.mark.slow
def test_teacher_forcing_gives_each_engines_sampled_log_probs_and_ranks(hf, tiny_vllm):
    """score_tokens on an output sampled by the engine returns the log-probs it was sampled with, on hf and
    on vLLM alike (the verifier's teacher-forced check, harness/verify/forced.py)."""
    from harness.engines.base import ForcedRequest

    reqs = [GenerationRequest(prompt=p, seed=s, temperature=1.0, max_tokens=12, logprobs=2) for p, s in (("the answer is", 1), ("서울 한국 수도", 2))]
    for engine in (hf, tiny_vllm):
        outs = dict(engine.generate(reqs))
        forced = engine.score_tokens([ForcedRequest(r.prompt, tuple(outs[i].token_ids), top=5) for i, r in enumerate(reqs)])
        for i, f in enumerate(forced):
            assert f.logprobs == pytest.approx(outs[i].logprobs, abs=1e-4)
            assert all(r >= 1 for r in f.ranks) and len(f.top_ids[0]) == 5
            assert [t[0] for t in f.top_ids] == [t[0] for t in outs[i].top_ids]  # the same argmax at every position
        tampered = engine.score_tokens([ForcedRequest(reqs[0].prompt, tuple(reversed(outs[0].token_ids)))])[0]
        assert tampered.logprobs != pytest.approx(outs[0].logprobs, abs=1e-2)
