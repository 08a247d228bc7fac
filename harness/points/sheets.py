"""Reading the tables a ministry office really sends: CSV from Korean Excel (UTF-8 with or without a BOM,
CP949, "Unicode text" = UTF-16 with tabs, semicolons from a European locale), Korean or English headers in any
case, blank and trailing empty rows. Cells come back as stripped text with their spreadsheet row number; what a
cell must hold is checked by harness/points/validate.py, the one validator of every score input."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import DataError

# Header aliases, by normalised text (see `key`): what Korean offices write for the columns we read.
ALIASES: dict[str, str] = {
    "평가위원": "evaluator", "위원": "evaluator", "심사위원": "evaluator", "evaluator id": "evaluator",
    "팀": "team", "팀명": "team", "참여팀": "team", "컨소시엄": "team", "team name": "team",
    "항목": "criterion", "평가항목": "criterion",
    "점수": "score",
    "사용자": "user", "user id": "user",
    "평점": "rating",
    "벤치마크": "benchmark",
    "스위트": "suite",
    "영역": "area",
    "출처": "source",
    "합계": "total", "총점": "total", "sum": "total",
}
ENCODINGS = ("utf-8", "cp949")
TITLE_ROWS = 5  # non-blank rows above the header (titles, dates, notes) looked past to find it  # what `encoding:` may say; UTF-8 files (with or without a BOM) are always read


def key(text: str) -> str:
    """Text as compared, never as shown: NFKC (full-width digits and letters, non-breaking spaces), format
    characters (zero-width spaces, BOMs) dropped, runs of whitespace made one space, case folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()


def clean(text: str | None) -> str:
    """A cell as read: NFKC, format characters dropped, outer whitespace stripped (case kept)."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


@dataclass
class Row:
    number: int  # the spreadsheet's row number (the header is row 1 when it is the first line)
    cells: dict[str, str]  # canonical column → cleaned text


@dataclass
class Sheet:
    path: Path
    columns: list[str]  # canonical names, in file order
    rows: list[Row]
    encoding: str
    sha256: str
    extra_columns: list[str] = field(default_factory=list)  # headers we do not read (notes), as written

    def describe(self) -> dict[str, str]:
        return {"file": str(self.path), "sha256": self.sha256, "encoding": self.encoding}


def decode(path: Path, data: bytes, allowed: str = "utf-8") -> tuple[str, str]:
    """The file's text and the encoding it was read with. UTF-16 with a BOM and UTF-8 (BOM or not) are always
    read; CP949 only when `allowed` says so; anything else is an error that says what to save as."""
    if data[:4] == b"PK\x03\x04":
        raise DataError("this is an Excel workbook (.xlsx), not CSV: in Excel choose 'Save As' → "
                        "'CSV UTF-8 (쉼표로 분리) (*.csv)'", file=path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"  # Excel's "Unicode text (*.txt)"
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        if allowed == "cp949":
            try:
                return data.decode("cp949"), "cp949"
            except UnicodeDecodeError as err2:
                line = data[: err2.start].count(b"\n") + 1
                raise DataError(f"neither UTF-8 nor CP949 (undecodable byte 0x{data[err2.start]:02x} on line {line}); "
                                "save it as 'CSV UTF-8 (쉼표로 분리)'", file=path, field=f"row {line}") from None
        try:
            data.decode("cp949")
            hint = ("it decodes as CP949, Korean Excel's plain 'CSV (쉼표로 분리)': save it as 'CSV UTF-8 (쉼표로 분리)', "
                    "or add `encoding: cp949` to the teams file")
        except UnicodeDecodeError:
            hint = "save it as 'CSV UTF-8 (쉼표로 분리)'"
        raise DataError(f"not UTF-8 (byte 0x{data[err.start]:02x} on line {line}); {hint}", file=path, field=f"row {line}") from None


def _delimiter(header_line: str) -> str:
    """Comma unless the header has none and has tabs (Excel's Unicode text) or semicolons (a European locale)."""
    if "," in header_line:
        return ","
    for d in ("\t", ";"):
        if d in header_line:
            return d
    return ","


def read(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (), *, encoding: str = "utf-8") -> Sheet:
    """Rows of a CSV with the `required` columns (canonical names; `optional` ones kept when present).
    Headers match by `key` and ALIASES; other columns are listed in `extra_columns` and otherwise ignored."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"PK\x03\x04")):
        raise DataError("holds NUL bytes: not a CSV text file (UTF-16 without a BOM?); save it as 'CSV UTF-8 (쉼표로 분리)'", file=path)
    text, used = decode(path, data, encoding)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(next((ln for ln in text.splitlines() if ln.strip(" ,;\t")), ""))))
    # The header is the first row with every required column; rows above it (blank, or a title such as
    # "2026년 1차 평가 결과" that offices put over a table) are skipped. They cannot be data: no header yet.
    filled = [i for i, rec in enumerate(records) if any(clean(c) for c in rec)]
    if not filled:
        raise DataError("the file is empty (no header row)", file=path, field="row 1")
    start = next((i for i in filled[:TITLE_ROWS + 1] if set(required) <= {ALIASES.get(key(c), key(c)) for c in records[i]}), filled[0])
    header_row = start + 1
    wanted = set(required) | set(optional)
    columns: list[str] = []
    extra: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(records[start]):
        name = key(raw)
        canon = ALIASES.get(name, name)
        if not name:
            columns.append("")
            continue
        if canon in seen:
            raise DataError(f"column {canon!r} appears twice in the header (columns {seen[canon] + 1} and {i + 1})",
                            file=path, field=f"row {header_row}, column {i + 1}")
        seen[canon] = i
        columns.append(canon)
        if canon not in wanted:
            extra.append(clean(raw))
    missing = [c for c in required if c not in seen]
    if missing:
        found = [c for c in columns if c]
        hint = " (the whole header is one cell: is the delimiter something other than comma, tab or semicolon?)" if len(found) == 1 else ""
        raise DataError(f"missing column(s) {missing}; the header has {found}{hint}", file=path, field=f"row {header_row} (header)")
    rows = []
    for i, rec in enumerate(records[start + 1:], start=header_row + 1):
        cells = [clean(c) for c in rec]
        if not any(cells):
            continue  # blank and trailing empty rows (",,,") are not data
        for j in range(len(columns), len(cells)):
            if cells[j]:
                raise DataError(f"a value {cells[j]!r} in column {j + 1}, beyond the header's {len(columns)} columns",
                                file=path, field=f"row {i}, column {j + 1}")
        row = {c: (cells[j] if j < len(cells) else "") for j, c in enumerate(columns) if c}
        rows.append(Row(i, row))
    if not rows:
        raise DataError("no data rows under the header", file=path, field=f"row {header_row + 1}")
    return Sheet(path, [c for c in columns if c], rows, used, hashlib.sha256(data).hexdigest(), extra)
