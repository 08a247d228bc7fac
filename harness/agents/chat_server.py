"""An OpenAI-compatible `/v1/chat/completions` endpoint on loopback, backed by a harness engine.

Agent frameworks (τ²-Bench via litellm) talk to models over this API. Serving our own engine instead of
`vllm serve` keeps one engine per job and lets us record every call — rendered prompt, seed, settings,
output tokens and log-probs — tagged with the episode and role it belongs to (`X-Harness-Episode`,
`X-Harness-Role` headers). Tool calls are parsed from the Hermes format (`<tool_call>{json}</tool_call>`),
which Qwen-, Hermes- and many Korean chat templates emit.

Calls tagged with the role `user` go to the user-simulator engine when one is set (`user_sim=…`): the agent
is the model under test, the simulated user a fixed model of its own. A request the engine refuses (a prompt
over the model's context, say) is answered 400 with a message starting `MODEL_ERROR`, so the episode can
tell the model's failure from the harness's.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.engines.base import Engine, GenerationRequest, GenerationResult
from harness.scorers.answers import strip_thinking

MODEL_ERROR = "MODEL_ERROR"  # prefix of a 400 the engine caused (the episode records it as the model's failure)
TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)


def parse_tool_calls(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(content without the tool-call blocks, OpenAI-style tool calls). Invalid JSON stays content."""
    answer = strip_thinking(text)
    calls = []
    for m in TOOL_CALL.finditer(answer):
        try:
            obj = json.loads(m.group(1))
            name, args = obj["name"], obj.get("arguments", {})
        except (ValueError, KeyError, TypeError):
            continue
        calls.append({"id": f"call_{uuid.uuid5(uuid.NAMESPACE_OID, m.group(1)).hex[:16]}", "type": "function",
                      "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)}})
    content = TOOL_CALL.sub("", answer).strip() if calls else answer
    return content, calls


class ChatServer:
    def __init__(self, engine: Engine, model_name: str, *, logprobs: int = 2, max_tokens: int = 1024, enable_thinking: bool | None = None,
                 user_engine: Engine | None = None):
        self.engine, self.model_name, self.logprobs, self.max_tokens = engine, model_name, logprobs, max_tokens
        self.user_engine = user_engine
        self.enable_thinking = enable_thinking
        self.calls: list[dict[str, Any]] = []  # the evidence: one entry per completion
        self._lock = threading.Lock()  # engines are not thread-safe; agent turns are sequential anyway
        self._server: ThreadingHTTPServer | None = None

    # -- serving ----------------------------------------------------------------------------------------
    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, code: int, obj: dict) -> None:
                body = json.dumps(obj, ensure_ascii=False).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._reply(200, {"object": "list", "data": [{"id": server.model_name, "object": "model"}]})
                else:
                    self._reply(404, {"error": {"message": "not found"}})

            def do_POST(self):  # noqa: N802
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    return self._reply(404, {"error": {"message": "only /v1/chat/completions is served"}})
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                tags = {"episode": self.headers.get("X-Harness-Episode"), "role": self.headers.get("X-Harness-Role")}
                if not isinstance(body.get("messages"), list):  # the client's fault, not the model's
                    return self._reply(400, {"error": {"message": "no messages in the request"}})
                try:
                    self._reply(200, server.complete(body, tags))
                except Exception as err:  # the engine refused this request: the model's failure, not the server's
                    self._reply(400, {"error": {"message": f"{MODEL_ERROR}: {type(err).__name__}: {err}", "type": "invalid_request_error"}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- one completion ---------------------------------------------------------------------------------
    def complete(self, body: dict[str, Any], tags: dict[str, Any]) -> dict[str, Any]:
        engine = self.user_engine if self.user_engine is not None and tags.get("role") == "user" else self.engine
        messages = [_plain_message(m) for m in body["messages"]]
        prompt = engine.apply_chat_template(messages, enable_thinking=self.enable_thinking, tools=body.get("tools"))
        stop = body.get("stop") or ()
        req = GenerationRequest(
            prompt=prompt, seed=int(body.get("seed") or 0),
            max_tokens=int(body.get("max_completion_tokens") or body.get("max_tokens") or self.max_tokens),
            temperature=float(body.get("temperature", 0.0) or 0.0), top_p=float(body.get("top_p", 1.0) or 1.0),
            stop=(stop,) if isinstance(stop, str) else tuple(stop), logprobs=self.logprobs,
        )
        with self._lock:
            [(_, result)] = list(engine.generate([req]))
            self.calls.append({**tags, "request": req, "result": result})
        content, tool_calls = parse_tool_calls(result.text)
        finish = "tool_calls" if tool_calls else ("length" if result.finish_reason == "length" else "stop")
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()), "model": self.model_name,
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content or None, "tool_calls": tool_calls or None}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": len(result.token_ids), "total_tokens": len(result.token_ids)},
        }

    def calls_for(self, episode: str) -> list[tuple[GenerationRequest, GenerationResult, str | None]]:
        with self._lock:
            return [(c["request"], c["result"], c["role"]) for c in self.calls if c["episode"] == episode]


def _plain_message(m: dict[str, Any]) -> dict[str, Any]:
    """Chat templates expect string content; tool calls' arguments as objects."""
    out = dict(m)
    if isinstance(out.get("content"), list):
        out["content"] = "".join(p.get("text", "") for p in out["content"] if isinstance(p, dict))
    out["content"] = out.get("content") or ""
    for call in out.get("tool_calls") or []:
        fn = call.get("function", {})
        if isinstance(fn.get("arguments"), str):
            try:
                fn["arguments"] = json.loads(fn["arguments"])
            except ValueError:
                pass
    return out
