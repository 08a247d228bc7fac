"""Everything `harness score` reads, read and checked before any arithmetic: the teams and their scores (packs
through their signed verdicts, plain-score files), the target models' A values, the rating sheets, lineage
reports, and the sha256 of every input file, which the outputs carry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, DataError
from harness.pack.hashing import sha256_file
from harness.points import validate
from harness.points.inputs import IndividualTargets, Score, Team, TeamsFile, lineage_report, pack_ref, plain_scores
from harness.points.packs import accepted_keys, read_pack, same_settings
from harness.points.ratings import ExpertSheet, UserSheet, read_experts, read_users
from harness.points.validate import TeamNames, Where


@dataclass
class Inputs:
    """Everything read, checked and traceable: the teams, the sheets, and each input file's sha256."""

    teams: list[Team]
    experts: ExpertSheet | None
    users: UserSheet | None
    missing_sheets: list[str]  # declared by the rules but not given (allow_partial only)
    files: list[dict[str, Any]]  # {file, sha256, …} of every input read


def _file_info(path: Path, **extra: Any) -> dict[str, Any]:
    return {"file": str(path), "sha256": sha256_file(path), **extra}


def gather(teams_file: TeamsFile, teams_path: Path, cfg: dict, scoring_file: Path) -> Inputs:
    base = teams_path.parent
    names = TeamNames([t.name for t in teams_file.teams], teams_path)
    accepted = accepted_keys(cfg["accepted_keys"], scoring_file)
    files = [_file_info(teams_path, role="teams file")]
    teams = []
    for i, entry in enumerate(teams_file.teams):
        team = Team(entry.name)
        found: list[tuple[Score, str]] = []
        for j, ref in enumerate(entry.packs):
            ev = read_pack(pack_ref(ref), base, cfg, accepted, teams_path, f"teams.{i}.packs.{j}")
            files.append({"file": ev.info["pack"], "sha256": ev.info["manifest_sha256"], "role": "evidence pack (sha256 of its manifest)", **{k: v for k, v in ev.info.items() if k != "pack"}})
            found += [(s, f"teams.{i}.packs.{j}") for s in ev.scores]
        for j, rel in enumerate(entry.scores):
            found += [(s, f"teams.{i}.scores.{j}") for s in plain_scores(base / rel, teams_file.encoding)]
            files.append(_file_info(base / rel, role="plain scores"))
        for s, where in found:
            if s.benchmark in team.scores:
                raise DataError(f"team {entry.name}: benchmark {s.benchmark} scored twice ({team.scores[s.benchmark].source}; {s.source})", file=teams_path, field=where)
            team.scores[s.benchmark] = s
        if entry.individual is not None:
            team.target_model = entry.individual.target_model
            team.targets, team.target_source = targets_of(entry.individual, base, cfg, accepted, teams_path, i, files, team.scores)
        if not entry.independent:
            team.ineligible.append(f"marked not independent: {entry.independence_note or 'no reason given'}")
        for rel in entry.lineage:
            report = lineage_report(base / rel)
            files.append(_file_info(base / rel, role="lineage report"))
            team.lineage_reports.append(report)
            for comp in report["components"]:
                ind = cfg["independence"]
                if comp.get("verdict") in ind["ineligible_verdicts"] and comp.get("name") in ind["components"]:
                    team.ineligible.append(f"lineage report {rel}: component {comp['name']} {comp['verdict']} from {comp.get('reference')} (p = {comp.get('p_value')})")
        teams.append(team)
    missing = [kind for kind, given in (("expert", teams_file.experts), ("user", teams_file.users)) if not given]
    if missing and not cfg["allow_partial"]:
        points = " and ".join(f"{cfg[k]['points']:g} points" for k in missing)
        raise ConfigError(f"no {' and no '.join(missing)} sheet: the rules give {points} for it; name the file (experts: / users:), "
                          "or set scoring.allow_partial=true for a PROVISIONAL table", file=teams_path, field=" / ".join(f"{k}s" for k in missing))
    experts = users = None
    if teams_file.experts:
        experts = read_experts(base / teams_file.experts, names, cfg["expert"]["criteria"], teams_file.encoding)
        files.append({**experts.info, "role": f"expert sheet ({experts.layout})"})
    if teams_file.users:
        users = read_users(base / teams_file.users, names, cfg["user"]["min_rating"], cfg["user"]["max_rating"], teams_file.encoding)
        files.append({**users.info, "role": "user sheet"})
    return Inputs(teams, experts, users, missing, files)


def targets_of(ind: IndividualTargets, base: Path, cfg: dict, accepted: dict, teams_path: Path, i: int,
               files: list[dict[str, Any]], team_scores: dict[str, Score]) -> tuple[dict[str, float], str]:
    """The target model's A per benchmark: measured (a pack of the target, accepted like any team pack, run with
    the settings of the team's pack for that benchmark) or typed (each checked, the source note kept for every
    output)."""
    where = f"teams.{i}.individual"
    if ind.pack is not None:
        ev = read_pack(pack_ref(ind.pack), base, cfg, accepted, teams_path, f"{where}.pack")
        files.append({"file": ev.info["pack"], "sha256": ev.info["manifest_sha256"], "role": "target model pack (sha256 of its manifest)"})
        out = {}
        for s in ev.scores:
            here = Where(teams_path, f"{where}.pack ({s.benchmark})")
            out[s.benchmark] = validate.target(s.score, here)
            mine = team_scores.get(s.benchmark)
            if mine is not None and mine.pack is not None:
                same_settings(Path(ev.info["pack"]), Path(mine.pack), s.benchmark, here)
        return out, f"measured: {ev.scores[0].source}, run id {ev.info['run_id']}"
    out = {str(b): validate.target(a, Where(teams_path, f"{where}.targets.{b}")) for b, a in (ind.targets or {}).items()}
    return out, f"typed: {ind.source}"


