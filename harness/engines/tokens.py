"""Tokenisation shared by every engine, so hf, vLLM and server engines score exactly the same tokens.

Loglikelihood requests follow lm-eval's rule: trailing whitespace of the context moves to the
continuation; the continuation's tokens are the tail of encode(context + continuation) after encode(context);
an empty context is replaced by the end-of-text token.
"""

from __future__ import annotations

from typing import Any


def encode(tokenizer: Any, text: str, *, add_special_tokens: bool | None = None) -> list[int]:
    """Token ids of `text`. By default the tokenizer's own rule for special tokens (Llama and Gemma add
    BOS), except when the text already starts with BOS (a rendered chat template): no second BOS."""
    kwargs: dict[str, Any] = {}
    if add_special_tokens is not None:
        kwargs["add_special_tokens"] = add_special_tokens
    elif tokenizer.bos_token and text.startswith(tokenizer.bos_token):
        kwargs["add_special_tokens"] = False
    return list(tokenizer.encode(text, **kwargs))


def prefix_token_id(tokenizer: Any) -> int:
    return tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id


def encode_pair(tokenizer: Any, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) exactly as lm-eval 0.4's `loglikelihood` computes them."""
    if context == "":
        cont = encode(tokenizer, continuation, add_special_tokens=False)
        prefix = prefix_token_id(tokenizer)
        return ([prefix], cont) if prefix != cont[0] else (cont[:1], cont[1:])
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = encode(tokenizer, context + continuation)
    ctx = encode(tokenizer, context)
    return ctx, whole[len(ctx) :]


def render_chat(
    tokenizer: Any, messages: list[dict[str, Any]], *, enable_thinking: bool | None = None, tools: list | None = None
) -> str:
    """The prompt text of a chat, ending with the assistant's turn (thinking switched where supported;
    tool schemas passed to templates that render them)."""
    kwargs: dict[str, Any] = {}
    if enable_thinking is not None:
        kwargs["enable_thinking"] = enable_thinking
    if tools:
        kwargs["tools"] = tools
    if getattr(tokenizer, "chat_template", None) is None:
        # Base models without a template: plain concatenation, as lm-eval does without --apply_chat_template.
        return "\n\n".join(m["content"] for m in messages)
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **kwargs)
