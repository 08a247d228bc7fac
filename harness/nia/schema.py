"""One JSON object per line (documented in docs/nia-format.md); validated before any model loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from harness.errors import DataError
from harness.benchmarks.data import jsonl_objects

AREAS = ("math", "knowledge", "long_context", "reliability", "safety")
SCORERS = ("choice", "bias", "math", "exact", "contains", "refusal", "compliance")
LETTER_SCORERS = ("choice", "bias")  # the response is a choice among `choices`: generative or log-likelihood


def _letter(value: str | int, n: int, what: str) -> str:
    from harness.scorers.choice import answer_letter

    try:
        return answer_letter(value, n)
    except (ValueError, TypeError):
        raise ValueError(f"{what} {value!r} names none of the {n} choices (a letter A–{chr(64 + n)} or a number "
                         f"1–{n}; numbers count from 1)") from None


class NiaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    area: Literal["math", "knowledge", "long_context", "reliability", "safety"]
    question: str
    context: str | None = None
    choices: list[str] | None = None
    answer: str | int | None = None
    scorer: Literal["choice", "bias", "math", "exact", "contains", "refusal", "compliance"]
    # scorer 'bias' (BBQ-style items): the stereotype-conforming choice, and whether the context leaves the
    # answer unknown (ambiguous) or settles it (disambiguated).
    biased_answer: str | int | None = None
    ambiguous: bool | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v  # files often number their items

    @model_validator(mode="after")
    def _consistent(self) -> NiaItem:
        if not self.question.strip():
            raise ValueError("question is empty")
        if self.scorer in LETTER_SCORERS:
            if not self.choices or len(self.choices) < 2:
                raise ValueError(f"scorer {self.scorer!r} needs at least two choices")
            if self.answer is None:
                raise ValueError(f"scorer {self.scorer!r} needs an answer (a letter or a 1-based number)")
            _letter(self.answer, len(self.choices), "answer")
        elif self.scorer in ("math", "exact", "contains") and (self.answer is None or str(self.answer).strip() == ""):
            raise ValueError(f"scorer {self.scorer!r} needs an answer")
        if self.scorer == "bias":
            if self.biased_answer is None or self.ambiguous is None:
                raise ValueError("scorer 'bias' needs biased_answer (the stereotype-conforming choice) and ambiguous (true/false)")
            _letter(self.biased_answer, len(self.choices), "biased_answer")
        elif self.biased_answer is not None or self.ambiguous is not None:
            raise ValueError("biased_answer and ambiguous belong to scorer 'bias' items")
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


def file_area(items: list[dict[str, Any]]) -> str | None:
    """The one area every item shares, or None for a file that mixes areas."""
    areas = {i["area"] for i in items}
    return areas.pop() if len(areas) == 1 else None
