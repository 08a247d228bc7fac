"""One JSON object per line (documented in docs/nia-format.md); validated before any model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from harness.errors import DataError
from harness.tasks.data import jsonl_objects

AREAS = ("math", "knowledge", "long_context", "reliability", "safety")
SCORERS = ("choice", "math", "exact", "contains", "refusal", "compliance")


class NiaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    area: Literal["math", "knowledge", "long_context", "reliability", "safety"]
    question: str
    context: str | None = None
    choices: list[str] | None = None
    answer: str | int | None = None
    scorer: Literal["choice", "math", "exact", "contains", "refusal", "compliance"]
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NiaItem:
        if self.scorer == "choice":
            if not self.choices or len(self.choices) < 2:
                raise ValueError("scorer 'choice' needs at least two choices")
            if self.answer is None:
                raise ValueError("scorer 'choice' needs an answer (a letter or a 1-based number)")
            from harness.scorers.choice import answer_letter

            answer_letter(self.answer, len(self.choices))  # raises if out of range
        elif self.scorer in ("math", "exact", "contains") and (self.answer is None or str(self.answer).strip() == ""):
            raise ValueError(f"scorer {self.scorer!r} needs an answer")
        return self


def load_items(path: str | Path) -> list[dict[str, Any]]:
    """Every line parsed and validated; the first bad line raises, naming the file, the line and the field."""
    path = Path(path)
    if not path.is_file():
        raise DataError("NIA-format file not found", file=path, field="path")
    items, seen = [], {}
    for lineno, obj in jsonl_objects(path):
        try:
            item = NiaItem.model_validate(obj)
        except ValidationError as err:
            e = err.errors()[0]
            loc = ".".join(map(str, e["loc"])) or "item"
            raise DataError(e["msg"], file=path, field=f"line {lineno}: {loc}") from None
        if item.id in seen:
            raise DataError(f"id {item.id!r} repeats line {seen[item.id]}", file=path, field=f"line {lineno}: id")
        seen[item.id] = lineno
        items.append(item.model_dump())
    if not items:
        raise DataError("no items", file=path)
    return items
