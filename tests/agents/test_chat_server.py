"""The OpenAI-compatible endpoint over a harness engine: tool-call parsing and a real HTTP round trip."""

from __future__ import annotations

import json
import urllib.request

from harness.agents.chat_server import ChatServer, parse_tool_calls


def test_hermes_tool_calls_are_parsed():
    text = 'Let me look.\n<tool_call>\n{"name": "get_user", "arguments": {"user_id": "u1"}}\n</tool_call>'
    content, calls = parse_tool_calls(text)
    assert content == "Let me look." and len(calls) == 1
    assert calls[0]["function"] == {"name": "get_user", "arguments": '{"user_id": "u1"}'}
    assert parse_tool_calls('<think><tool_call>{"name": "x"}</tool_call></think>Hello')[1] == []  # traces are not calls
    assert parse_tool_calls('<tool_call>{broken</tool_call>')[1] == []  # invalid JSON stays content


def _post(url, body, headers):
    req = urllib.request.Request(url + "/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_a_round_trip_is_recorded_with_its_seed(tiny_vllm):
    server = ChatServer(tiny_vllm, "tiny", max_tokens=8)
    url = server.start()
    try:
        body = {"model": "tiny", "messages": [{"role": "user", "content": "hello"}], "temperature": 1.0, "seed": 42, "max_tokens": 8,
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]}
        a = _post(url, body, {"X-Harness-Episode": "e1", "X-Harness-Role": "agent"})
        b = _post(url, body, {"X-Harness-Episode": "e2", "X-Harness-Role": "user"})
    finally:
        server.stop()
    assert a["choices"][0]["message"]["role"] == "assistant" and a["object"] == "chat.completion"
    (req, res, role), = server.calls_for("e1")
    assert role == "agent" and req.seed == 42 and req.temperature == 1.0 and res.token_ids
    assert server.calls_for("e2")[0][1].token_ids == res.token_ids  # the same seed repeats
