"""Score inputs as a ministry office really produces them, through `harness score`: each is read correctly (the
published figures come out unchanged) or refused with exit code 2, naming the file, the row and the column,
before anything is written. No accepted input leaves a NaN or an out-of-range number in any output."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.paths import CONFIG_DIR, REPO_ROOT
from harness.points.cli import main

EXAMPLES = CONFIG_DIR / "scoring" / "examples"


@pytest.fixture
def ex(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    return tmp_path / "ex"


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, table: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", newline: str = "\n", bom: bytes = b"") -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(table)
    path.write_bytes(bom + buf.getvalue().encode(encoding))


def edit(path: Path, row: int, col: int, value: str) -> None:
    """Set the cell at spreadsheet row `row` (the header is row 1), column index `col`."""
    t = rows(path)
    t[row - 1][col] = value
    write_rows(path, t)


def teams_yaml(ex: Path, **changes) -> None:
    doc = yaml.safe_load((ex / "phase1-teams.yaml").read_text())
    doc.update(changes)
    (ex / "phase1-teams.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))


def score_yaml(ex: Path, name: str, change: Callable[[dict], None]) -> None:
    path = ex / "scores" / name
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))


def run(ex: Path, out: Path, *extra: str) -> int:
    return main([str(ex / "phase1-teams.yaml"), f"scoring.out={out}", "scoring=phase1-example", *extra])


def check_outputs(out: Path) -> dict:
    """Every number in every output is finite and in its section's range."""
    doc = json.loads((out / "scores.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in scores.json"))
    for t in doc["teams"]:
        for name, sec in t["sections"].items():
            assert 0 <= sec["points"] <= sec["max"] + 1e-9, (t["team"], name)
        assert 0 <= t["total"] <= 100
    for name in ("scores.csv", "steps.csv"):
        for row in csv.DictReader(open(out / name, encoding="utf-8")):
            for v in row.values():
                try:
                    assert math.isfinite(float(v)), (name, row)
                except ValueError:
                    pass
    return {row["team"]: row for row in doc["table"]}


def published(out: Path) -> None:
    t = check_outputs(out)
    a = t["Team A"]
    assert (a["benchmarks"], a["expert"], a["user"], a["total"]) == (33.6, 31.6, 25.0, 90.2)
    assert t["Team B"]["user"] == 22.0


# ---- read correctly: Excel's encodings and layouts, name and header variants ----------------------------------

def _bom(ex):
    p = ex / "experts.csv"
    p.write_bytes(codecs.BOM_UTF8 + p.read_bytes())
    q = ex / "users.csv"
    q.write_bytes(codecs.BOM_UTF8 + q.read_bytes())


def _cp949_declared(ex):
    t = rows(ex / "experts.csv")
    t[0] = ["평가위원", "팀", "항목", "점수", "비고"]
    for r in t[1:]:
        r.append("검토 완료")
    write_rows(ex / "experts.csv", t, encoding="cp949")
    teams_yaml(ex, encoding="cp949")


def _crlf_and_trailing_empty_rows(ex):
    t = rows(ex / "users.csv") + [["", "", ""], ["", "", ""], [], [" ", "", ""]]
    write_rows(ex / "users.csv", t, newline="\r\n")


def _team_name_variants(ex):
    t = rows(ex / "users.csv")
    variants = ["team a", "  Team A ", "TEAM  A", "Ｔｅａｍ Ａ", "Team\u00a0A", "Team\u200bA".replace("\u200b", "\u200b ")]
    i = 0
    for r in t[1:]:
        if r[1] == "Team A":
            r[1] = variants[i % len(variants)]
            i += 1
    write_rows(ex / "users.csv", t)


def _header_variants(ex):
    t = rows(ex / "experts.csv")
    t[0] = [" Evaluator ", "TEAM", "Criterion", "SCORE"]
    write_rows(ex / "experts.csv", t)


def _wide(ex, total: bool = False):
    long = rows(ex / "experts.csv")[1:]
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for ev, team, crit, score in long:
        cells.setdefault((ev, team), {})[crit] = score
    head = ["evaluator", "team", "strategy", "results", "ripple"] + (["합계"] if total else [])
    body = [[ev, team, c["strategy"], c["results"], c["ripple"]] + ([repr(round(sum(map(float, c.values())), 6))] if total else [])
            for (ev, team), c in cells.items()]
    write_rows(ex / "experts.csv", [head] + body)


def _utf16_tabs(ex):
    write_rows(ex / "users.csv", rows(ex / "users.csv"), encoding="utf-16-le", delimiter="\t", newline="\r\n", bom=codecs.BOM_UTF16_LE)


def _semicolons(ex):
    write_rows(ex / "experts.csv", rows(ex / "experts.csv"), delimiter=";")


def _blank_rows_inside_and_above(ex):
    t = rows(ex / "users.csv")
    write_rows(ex / "users.csv", [[], ["", "", ""]] + t[:10] + [["", "", ""]] + t[10:])


def _criterion_case_and_evaluator_case(ex):
    t = rows(ex / "experts.csv")
    for r in t[1:]:
        r[2] = r[2].upper() if r[2] == "ripple" else r[2]
        if r[0] == "E03" and r[2] == "results":
            r[0] = "e03 "
    write_rows(ex / "experts.csv", t)


def _ratings_written_as_decimals(ex):
    t = rows(ex / "users.csv")
    for r in t[1:]:
        r[2] = f"{float(r[2]):.1f}"
    write_rows(ex / "users.csv", t)


def _plain_scores_as_csv_with_bom(ex):
    doc = yaml.safe_load((ex / "scores" / "a-common.yaml").read_text())
    table = [["Benchmark", "Score", "Suite", "Source"]] + [[b, str(s), "Global_Common ", doc["source"]] for b, s in doc["scores"].items()]
    write_rows(ex / "scores" / "a-common.csv", table, bom=codecs.BOM_UTF8)
    d = yaml.safe_load((ex / "phase1-teams.yaml").read_text())
    d["teams"][0]["scores"] = ["scores/a-common.csv" if s == "scores/a-common.yaml" else s for s in d["teams"][0]["scores"]]
    (ex / "phase1-teams.yaml").write_text(yaml.safe_dump(d, allow_unicode=True))


def _wide_users(ex):
    """A row per user, a column per team (as the office's survey export gives it), teams in another order."""
    by_user: dict[str, dict[str, str]] = {}
    for user, team, rating in rows(ex / "users.csv")[1:]:
        by_user.setdefault(user, {})[team] = rating
    teams = ["Team B", "Team A", "Team C", "Team D", "Team E", "Team F"]
    write_rows(ex / "users.csv", [["사용자", *[t.upper() for t in teams]]] + [[u, *[r[t] for t in teams]] for u, r in by_user.items()])


def _title_rows_above_header(ex):
    t = rows(ex / "experts.csv")
    write_rows(ex / "experts.csv", [["2026년 1차 전문가 평가 결과", "", "", ""], ["작성일: 2026-01-09", "", "", ""], ["", "", "", ""]] + t)


def _merged_evaluator_cells(ex):
    """Excel's merged cells export the value in the first row only."""
    t = rows(ex / "experts.csv")
    for i in range(len(t) - 1, 1, -1):
        if t[i][0] == t[i - 1][0] and t[i][1] == t[i - 1][1]:
            t[i][0] = ""
    write_rows(ex / "experts.csv", t)


READ = {
    "title-rows-above-the-header": _title_rows_above_header,
    "wide-user-sheet-korean-header": _wide_users,
    "utf8-bom": _bom,
    "cp949-korean-headers-declared": _cp949_declared,
    "crlf-trailing-empty-rows": _crlf_and_trailing_empty_rows,
    "team-name-case-space-fullwidth-nbsp": _team_name_variants,
    "header-case-and-spaces": _header_variants,
    "wide-expert-sheet": _wide,
    "wide-expert-sheet-with-total": lambda ex: _wide(ex, total=True),
    "excel-unicode-text-utf16-tabs": _utf16_tabs,
    "semicolon-delimited": _semicolons,
    "blank-rows-above-and-inside": _blank_rows_inside_and_above,
    "criterion-and-evaluator-case": _criterion_case_and_evaluator_case,
    "ratings-as-5.0": _ratings_written_as_decimals,
    "plain-scores-csv-bom-suite-case": _plain_scores_as_csv_with_bom,
}


@pytest.mark.parametrize("case", sorted(READ))
def test_read_correctly(ex, tmp_path, case):
    READ[case](ex)
    assert run(ex, tmp_path / "out") == 0
    published(tmp_path / "out")


# ---- refused: (change, file the error names, field pattern, message pattern) ----------------------------------

def _cp949_undeclared(ex):
    t = rows(ex / "users.csv")
    t[5][0] = "사용자5"
    write_rows(ex / "users.csv", t, encoding="cp949")


def _xlsx(ex):
    (ex / "users.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40)


def _dup_last_row(name):
    def change(ex):
        t = rows(ex / name)
        write_rows(ex / name, t + [t[-1]])
    return change


def _drop_team(name, team):
    def change(ex):
        t = rows(ex / name)
        write_rows(ex / name, [r for r in t if r[1] != team])
    return change


def _append(name, extra):
    def change(ex):
        write_rows(ex / name, rows(ex / name) + [extra])
    return change


def _plain_csv(cell_score="72.0", cell_suite="global_common", second_same=False):
    def change(ex):
        table = [["benchmark", "score", "suite", "source"], ["kobalt", cell_score, cell_suite, "run at the agency"]]
        if second_same:
            table.append(["kobalt", "70", "global_common", "again"])
        write_rows(ex / "scores" / "a-extra.csv", table)
        d = yaml.safe_load((ex / "phase1-teams.yaml").read_text())
        score_yaml(ex, "a-common.yaml", lambda doc: doc["scores"].pop("kobalt"))
        d["teams"][0]["scores"].append("scores/a-extra.csv")
        (ex / "phase1-teams.yaml").write_text(yaml.safe_dump(d, allow_unicode=True))
    return change


def _yaml_score(value):
    return lambda ex: score_yaml(ex, "b-common.yaml", lambda d: d["scores"].__setitem__("kobalt", value))


def _wide_bad_total(ex):
    _wide(ex, total=True)
    edit(ex / "experts.csv", 4, 5, "99")


def _wide_missing_ripple(ex):
    _wide(ex)
    write_rows(ex / "experts.csv", [r[:4] for r in rows(ex / "experts.csv")])


def _pack_summary(change):
    """Edit the example pack's summary and reseal its manifest (as a team could): its verdict no longer
    covers it, so this route is read with require_verified=false to reach the value checks."""
    def apply(ex):
        from harness.pack.hashing import pack_files

        pack = ex / "packs" / "nia-team-a"
        doc = json.loads((pack / "summary.json").read_text())
        change(doc)
        (pack / "summary.json").write_text(json.dumps(doc))
        m = json.loads((pack / "manifest.json").read_text())
        m["files"] = pack_files(pack)
        (pack / "manifest.json").write_text(json.dumps(m))
    return apply


REFUSED = {
    "cp949-undeclared": (_cp949_undeclared, "users.csv", r"row 6", r"not UTF-8.*CP949.*CSV UTF-8.*encoding: cp949"),
    "xlsx-renamed-csv": (_xlsx, "users.csv", None, r"Excel workbook"),
    "nul-bytes-utf16-without-bom": (lambda ex: (ex / "users.csv").write_bytes(rows_bytes(ex, "users.csv", "utf-16-le")), "users.csv", None, r"NUL bytes"),
    "neither-utf8-nor-cp949": (lambda ex: (ex / "users.csv").write_bytes(b"user,team,rating\n\x80\xff\xfe,Team A,3\n"), "users.csv", r"row 2", r"not UTF-8.*save it as"),
    "empty-file": (lambda ex: (ex / "users.csv").write_bytes(b""), "users.csv", r"row 1", r"empty"),
    "header-only": (lambda ex: (ex / "users.csv").write_text("user,team,rating\n,,\n"), "users.csv", r"row 2", r"no data rows"),
    "blank-expert-score": (lambda ex: edit(ex / "experts.csv", 9, 3, ""), "experts.csv", r"row 9, score", r"empty"),
    "blank-rating": (lambda ex: edit(ex / "users.csv", 12, 2, " "), "users.csv", r"row 12, rating", r"empty"),
    "blank-user-id": (lambda ex: edit(ex / "users.csv", 12, 0, ""), "users.csv", r"row 12, user", r"user is empty"),
    "merged-evaluator-cells": (_merged_evaluator_cells, "experts.csv", r"row 3, evaluator", r"evaluator is empty \(a merged cell"),
    "blank-team": (lambda ex: edit(ex / "users.csv", 13, 1, ""), "users.csv", r"row 13, team", r"team is empty"),
    "percent-expert-score": (lambda ex: edit(ex / "experts.csv", 3, 3, "85%"), "experts.csv", r"row 3, score", r"percent sign"),
    "comma-decimal": (lambda ex: edit(ex / "experts.csv", 4, 3, "8,5"), "experts.csv", r"row 4, score", r"comma.*decimal point"),
    "excel-div0": (lambda ex: edit(ex / "experts.csv", 5, 3, "#DIV/0!"), "experts.csv", r"row 5, score", r"Excel error"),
    "excel-na": (lambda ex: edit(ex / "users.csv", 5, 2, "#N/A"), "users.csv", r"row 5, rating", r"Excel error"),
    "nan-string": (lambda ex: edit(ex / "experts.csv", 6, 3, "nan"), "experts.csv", r"row 6, score", r"finite"),
    "inf-string": (lambda ex: edit(ex / "users.csv", 6, 2, "inf"), "users.csv", r"row 6, rating", r"finite"),
    "word-not-number": (lambda ex: edit(ex / "users.csv", 8, 2, "좋음"), "users.csv", r"row 8, rating", r"not a number"),
    "negative-expert-score": (lambda ex: edit(ex / "experts.csv", 7, 3, "-1"), "experts.csv", r"row 7, score", r"outside 0–"),
    "expert-score-above-criterion-max": (lambda ex: edit(ex / "experts.csv", 3, 3, "16"), "experts.csv", r"row 3, score", r"results score 16 is outside 0–15"),
    "rating-3.5": (lambda ex: edit(ex / "users.csv", 9, 2, "3.5"), "users.csv", r"row 9, rating", r"not a whole number"),
    "rating-0": (lambda ex: edit(ex / "users.csv", 9, 2, "0"), "users.csv", r"row 9, rating", r"outside 1–5"),
    "duplicated-user-row": (_dup_last_row("users.csv"), "users.csv", r"row 296, rating", r"rated Team F twice \(first in row 295\)"),
    "duplicated-expert-row": (_dup_last_row("experts.csv"), "experts.csv", r"row 182, score", r"twice \(first in row 181\)"),
    "unknown-team": (lambda ex: edit(ex / "experts.csv", 5, 1, "Team Z"), "experts.csv", r"row 5, team", r"'Team Z' is not in the teams file"),
    "totals-row-at-the-bottom": (_append("users.csv", ["합계", "", "617"]), "users.csv", r"row 296, team", r"team is empty"),
    "team-missing-from-user-sheet": (_drop_team("users.csv", "Team E"), "users.csv", r"team", r"\['Team E'\] have no rows in the user sheet"),
    "team-missing-from-expert-sheet": (_drop_team("experts.csv", "Team D"), "experts.csv", r"team", r"\['Team D'\] have no rows in the expert sheet"),
    "evaluator-missing-a-criterion": (lambda ex: write_rows(ex / "experts.csv", rows(ex / "experts.csv")[:-1]), "experts.csv", r"evaluator E10, team Team F", r"did not score Team F on \['ripple'\]"),
    "unknown-criterion": (lambda ex: edit(ex / "experts.csv", 2, 2, "impact"), "experts.csv", r"row 2, criterion", r"unknown criterion 'impact'"),
    "missing-column": (lambda ex: edit(ex / "users.csv", 1, 2, "score"), "users.csv", r"header", r"missing column\(s\) \['rating'\]"),
    "missing-user-column": (lambda ex: edit(ex / "users.csv", 1, 0, "name"), "users.csv", r"row 1", r"missing column\(s\) \['user'\]"),
    "wide-user-sheet-missing-a-team": (lambda ex: (_wide_users(ex), write_rows(ex / "users.csv", [r[:-1] for r in rows(ex / "users.csv")])),
                                       "users.csv", r"header", r"missing column\(s\) \['Team F'\]"),
    "wide-user-sheet-blank-cell": (lambda ex: (_wide_users(ex), edit(ex / "users.csv", 5, 3, "")), "users.csv", r"row 5, Team C", r"rating is empty"),
    "duplicate-header": (lambda ex: edit(ex / "users.csv", 1, 0, "team"), "users.csv", r"row 1, column 2", r"'team' appears twice"),
    "value-beyond-header": (lambda ex: write_rows(ex / "users.csv", rows(ex / "users.csv")[:3] + [["U02", "Team C", "3", "oops"]] + rows(ex / "users.csv")[3:]), "users.csv", r"row 4, column 4", r"beyond the header"),
    "wide-total-mismatch": (_wide_bad_total, "experts.csv", r"row 4, total", r"not the sum"),
    "wide-missing-criterion-column": (_wide_missing_ripple, "experts.csv", r"header", r"neither a long sheet.*missing \['ripple'\]"),
    "plain-csv-percent": (_plain_csv(cell_score="72%"), "a-extra.csv", r"row 2, score", r"percent"),
    "plain-csv-blank-suite": (_plain_csv(cell_suite=""), "a-extra.csv", r"row 2, suite", r"suite is empty"),
    "plain-csv-unknown-suite": (_plain_csv(cell_suite="global-common"), "a-extra.csv", r"row 2, suite", r"unknown suite"),
    "plain-csv-above-100": (_plain_csv(cell_score="101"), "a-extra.csv", r"row 2, score", r"outside 0–100"),
    "plain-csv-benchmark-twice": (_plain_csv(second_same=True), "a-extra.csv", r"row 3, benchmark", r"appears twice"),
    "yaml-nan": (_yaml_score(float("nan")), "b-common.yaml", r"scores.kobalt", r"finite"),
    "yaml-negative": (_yaml_score(-1.0), "b-common.yaml", r"scores.kobalt", r"outside 0–100"),
    "yaml-percent-string": (_yaml_score("85%"), "b-common.yaml", r"scores.kobalt", r"percent"),
    "yaml-true": (_yaml_score(True), "b-common.yaml", r"scores.kobalt", r"True"),
    "yaml-no-suite": (lambda ex: score_yaml(ex, "c-nia.yaml", lambda d: d.pop("suite")), "c-nia.yaml", r"suite", r"suite is empty"),
    "yaml-fractions": (lambda ex: score_yaml(ex, "d-individual.yaml", lambda d: d.update(scores={k: v / 100 for k, v in d["scores"].items()})),
                       "d-individual.yaml", r"scores", r"look like fractions"),
    "pack-mean-nan": (_pack_summary(lambda d: d["benchmarks"]["kmmlu"].__setitem__("mean", float("nan"))), "summary.json", r"benchmarks.kmmlu.mean", r"finite"),
    "pack-unknown-suite": (_pack_summary(lambda d: d.__setitem__("suite", "NIA-2")), "summary.json", r"suite", r"unknown suite"),
    "teams-differing-only-in-case": (lambda ex: teams_yaml(ex, teams=yaml.safe_load((ex / "phase1-teams.yaml").read_text())["teams"]
                                                            + [dict(yaml.safe_load((ex / "phase1-teams.yaml").read_text())["teams"][1], name="team b")]),
                                     "phase1-teams.yaml", r"teams.6.name", r"differ only in case"),
    "typed-targets-without-source": (lambda ex: teams_yaml(ex, teams=[dict(t, individual={k: v for k, v in t["individual"].items() if k != "source"})
                                                                       for t in yaml.safe_load((ex / "phase1-teams.yaml").read_text())["teams"]]),
                                     "phase1-teams.yaml", r"teams.0.individual", r"source"),
    "no-user-sheet": (lambda ex: teams_yaml(ex, users=None), "phase1-teams.yaml", r"users", r"no user sheet.*allow_partial"),
}


def rows_bytes(ex: Path, name: str, encoding: str) -> bytes:
    return (ex / name).read_text(encoding="utf-8").encode(encoding)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_naming_file_row_and_field(ex, tmp_path, case):
    change, file_end, field, message = REFUSED[case]
    change(ex)
    extra = ("scoring.require_verified=false",) if case.startswith("pack-") else ()
    with pytest.raises(HarnessError, match=message) as err:
        run(ex, tmp_path / "out", *extra)
    assert err.value.exit_code == 2
    assert str(err.value.file).endswith(file_end), err.value.file
    if field:
        assert err.value.field and __import__("re").search(field, err.value.field), err.value.field
    assert not (tmp_path / "out").exists()  # nothing written


def test_there_are_at_least_thirty_malformed_cases():
    assert len(REFUSED) + len(READ) >= 45 and len(REFUSED) >= 30


def test_exit_code_2_and_the_message_from_the_command_line(ex, tmp_path):
    _cp949_undeclared(ex)
    res = subprocess.run([sys.executable, "-m", "harness.cli", "score", str(ex / "phase1-teams.yaml"), f"scoring.out={tmp_path / 'o'}",
                          "scoring=phase1-example"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 2
    assert "users.csv" in res.stderr and "row 6" in res.stderr and "CSV UTF-8" in res.stderr


def test_a_missing_sheet_with_allow_partial_marks_every_output_provisional(ex, tmp_path):
    teams_yaml(ex, users=None)
    out = tmp_path / "out"
    assert run(ex, out, "scoring.allow_partial=true") == 0
    doc = json.loads((out / "scores.json").read_text())
    assert doc["status"].startswith("PROVISIONAL") and "user" in doc["status"]
    for name in ("scores.csv", "steps.csv"):
        assert all(r["status"].startswith("PROVISIONAL") for r in csv.DictReader(open(out / name)))
    assert doc["table"][0]["user"] is None and doc["table"][0]["total"] == pytest.approx(65.2)


# ---- the class, not the examples: seeded random cells from what offices type ---------------------------------

TYPED = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "0", "1", "5", "5.0", "３", "85%", "8,5", "#N/A", "#DIV/0!",
         "1e-300", "TRUE", "１０", "7.25", "15.0000001", "-1", "101", "Team A", "team  b", "Ｔｅａｍ Ｃ", "Team Z", "합계",
         "\u200b", "\ufeff5", "E01", "U01", "strategy", "RESULTS", "8.7점", "=8.5", "'3"]


@pytest.mark.parametrize("seed", range(40))
def test_any_typed_cell_is_refused_by_file_and_row_or_scored_in_range(ex, tmp_path, seed):
    import random

    rng = random.Random(seed)
    name = rng.choice(["experts.csv", "users.csv"])
    t = rows(ex / name)
    for _ in range(rng.choice([1, 1, 2, 3])):
        t[rng.randrange(1, len(t))][rng.randrange(len(t[0]))] = rng.choice(TYPED)
    write_rows(ex / name, t)
    out = tmp_path / "out"
    try:
        run(ex, out)
    except HarnessError as err:
        assert err.exit_code == 2 and str(err.file).endswith(name) and err.field, (err.file, err.field)
        assert not out.exists()
    else:
        check_outputs(out)
