"""The model's tokenizer without its engine: chat prompts rendered and texts counted exactly as the engines
render and count them (they use the same tokenizer files), so samples are built — and scorers that count
tokens run — before any engine starts, identically in `harness run` and `harness verify`."""

from __future__ import annotations

from typing import Any

from harness.engines.tokens import encode, render_chat


class TokenizerChat:
    def __init__(self, path: str, *, trust_remote_code: bool = False):
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)

    @classmethod
    def for_model(cls, model: Any) -> TokenizerChat | None:
        """The tokenizer of a ModelSpec (model.tokenizer, else its path); None for a server with no local files."""
        where = model.tokenizer or model.path
        return cls(str(where), trust_remote_code=model.trust_remote_code) if where else None

    def apply_chat_template(self, messages: list[dict], *, enable_thinking: bool | None = None, tools: list | None = None) -> str:
        return render_chat(self.tokenizer, messages, enable_thinking=enable_thinking, tools=tools)

    def count_tokens(self, text: str) -> int:
        return len(encode(self.tokenizer, text, add_special_tokens=False))
