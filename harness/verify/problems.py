"""What verification finds wrong, each naming the file and, where the records allow, the sample and field."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    check: str  # manifest | records | scores | seeds | model | prompts | setup
    file: str
    message: str
    sample: str | None = None  # "<sample_id> run <r>"
    field: str | None = None

    def __str__(self) -> str:
        where = self.file + (f": sample {self.sample}" if self.sample else "") + (f" field {self.field}" if self.field else "")
        return f"[{self.check}] {where}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)
