"""What a model directory must hold before any engine starts: a config, readable weights, a tokenizer that
loads, and a chat template wherever a benchmark renders prompts with one.

Loading a 236B model takes minutes; finding out afterwards that its tokenizer is missing wastes them and
leaves a half-made pack. These checks read only small files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt", "spiece.model", "tokenizer_config.json")


def check_model_path(model: Any) -> None:
    """The model directory must exist and hold a config and weights we can read (before anything loads)."""
    if model.engine == "openai" and not model.path:
        return
    fld, file = "model.path", model.config_file
    if model.path is None:
        raise ConfigError("no model path given (model.path=…)", file=file, field=fld)
    path = Path(model.path)
    if not path.is_dir():
        raise ConfigError(f"model directory {path} does not exist or is not a directory", file=file, field=fld)
    config = path / "config.json"
    if not config.is_file():
        raise ConfigError(f"{config} is missing: not a Hugging Face model directory", file=file, field=fld)
    try:
        json.loads(config.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"{config} is unreadable ({err})", file=file, field=fld) from None
    weights = [*path.glob("*.safetensors"), *path.glob("*.bin")]
    if not weights:
        raise ConfigError(f"no weights (*.safetensors or *.bin) in {path}", file=file, field=fld)
    for w in weights:
        try:
            with open(w, "rb") as fh:
                fh.read(8)
        except OSError as err:
            raise ConfigError(f"weights file {w} is unreadable ({err})", file=file, field=fld) from None


def check_tokenizer(model: Any, chat_benchmarks: Iterable[str] = ()) -> None:
    """The tokenizer (model.tokenizer, else the model directory) must load, and carry a chat template when
    any of `chat_benchmarks` renders its prompts with one. Skipped for a server engine with no local files."""
    where = model.tokenizer or model.path
    if where is None:
        return
    fld = "model.tokenizer" if model.tokenizer else "model.path"
    path = Path(where)
    if not path.is_dir():
        raise ConfigError(f"tokenizer directory {path} does not exist", file=model.config_file, field=fld)
    if not any((path / name).is_file() for name in _TOKENIZER_FILES):
        raise ConfigError(
            f"no tokenizer in {path} (none of {', '.join(_TOKENIZER_FILES)}); copy the tokenizer files next to the "
            "weights or give model.tokenizer=DIR", file=model.config_file, field=fld)
    try:
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(path), trust_remote_code=model.trust_remote_code, local_files_only=True)
    except ImportError:
        return  # no transformers (a scoring-only install): the engine will say so itself
    except Exception as err:  # a broken or partial tokenizer: the engine would fail minutes later
        raise ConfigError(f"the tokenizer in {path} does not load ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})",
                          file=model.config_file, field=fld) from None
    if len(tok) == 0:
        raise ConfigError(f"the tokenizer in {path} has an empty vocabulary", file=model.config_file, field=fld)
    chat = sorted(chat_benchmarks)
    if chat and not getattr(tok, "chat_template", None):
        raise ConfigError(
            f"the tokenizer in {path} has no chat template, but {', '.join(chat)} render prompts with one "
            "(generation.chat_template: true). Use an instruction-tuned model's tokenizer (model.tokenizer=DIR), or "
            "run without templates: run.generation_override.chat_template=false", file=model.config_file, field=fld)
