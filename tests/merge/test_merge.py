"""`harness merge`: N parts of a sharded job make the single job's pack, and parts that do not belong together
are refused by name (exit 2) with nothing written. Parts are built with the harness's own writers (synth.py);
the whole path on a real engine is tests/merge/test_shards_submitit.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from synth import RUN_ID, copy_part, make_parts, make_single, remanifest  # noqa: E402

from harness.cli import main as harness  # noqa: E402
from harness.errors import ConfigError, RecordError  # noqa: E402
from harness.merge.parts import check_parts  # noqa: E402
from harness.merge.write import write_merged  # noqa: E402
from harness.pack import layout  # noqa: E402
from harness.records.store import RecordStore  # noqa: E402
from harness.runner.shards import assign, parse_shard  # noqa: E402

TIMES = ("date", "total_evaluation_time_seconds")


def _records(pack: Path) -> dict:
    store = RecordStore(pack)
    return {b: {r.model_dump_json() for r in store.iter_records(b)} for b in ("mc", "gen")}


def _json(pack: Path, name: str) -> dict:
    return json.loads((pack / name).read_text())


def _merge_error(paths, tmp_path) -> RecordError:
    with pytest.raises(RecordError) as err:
        write_merged(check_parts(paths), tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written
    return err.value


def test_three_parts_merge_into_the_single_jobs_pack(tmp_path):
    pack, parts = make_parts(tmp_path)
    single = make_single(tmp_path)
    assert harness(["merge", str(pack.parent / (pack.name + ".parts"))]) == 0
    assert _records(pack) == _records(single)  # as sets: the order of the rows is the parts' order
    for bench in ("mc", "gen"):  # the parts' hash indexes, joined, are the index a single job computes
        index = lambda p: set((p / layout.RECORDS / f"{bench}.sha256").read_text().splitlines())  # noqa: E731
        assert index(pack) == index(single) and len(index(pack)) == (7 if bench == "mc" else 4) * 2
    for name in (layout.SUMMARY, layout.RUNS, layout.SPEC, layout.MODEL):
        assert _json(pack, name) == _json(single, name), name
    merged, alone = _json(pack, layout.LMEVAL), _json(single, layout.LMEVAL)
    assert merged["date"] == 1001.0 and merged["total_evaluation_time_seconds"] == "1002.0"  # first start to last end
    assert {k: v for k, v in merged.items() if k not in TIMES} == {k: v for k, v in alone.items() if k not in TIMES}
    assert yaml.safe_load((pack / layout.CONFIG).read_text()) == yaml.safe_load((single / layout.CONFIG).read_text())
    man, ref = _json(pack, layout.MANIFEST), _json(single, layout.MANIFEST)
    for key in ("run_id", "engine", "datasets", "settings"):
        assert man[key] == ref[key], key
    assert [m["part"] for m in man["merged_from"]] == ["1/3", "2/3", "3/3"]
    assert set(man["files"]) == set(ref["files"])  # the same files, each covered by the manifest
    # a second merge of the same parts is a no-op; a merge into a directory holding files is refused
    assert harness(["merge", *map(str, parts)]) == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert harness(["merge", *map(str, parts), f"out={foreign}"]) == 2
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "keep me"


def test_refuses_a_part_from_another_config(tmp_path, capsys):
    _, parts = make_parts(tmp_path)
    cfg = yaml.safe_load((parts[1] / layout.CONFIG).read_text())
    cfg["run"]["seed"] = 99
    (parts[1] / layout.CONFIG).write_text(yaml.safe_dump(cfg, sort_keys=False))
    remanifest(parts[1])
    assert harness(["merge", *map(str, parts), f"out={tmp_path / 'out'}"]) == 2
    said = capsys.readouterr().err
    assert "part 2/3" in said and str(parts[1]) in said and "another config" in said and "run.seed" in said
    assert not (tmp_path / "out").exists()


def test_refuses_a_part_from_another_model(tmp_path):
    _, parts = make_parts(tmp_path)
    model = _json(parts[2], layout.MODEL)
    model["weights"]["model.safetensors"] = "f" * 64
    (parts[2] / layout.MODEL).write_text(json.dumps(model))
    remanifest(parts[2])
    err = _merge_error(parts, tmp_path)
    assert "part 3/3" in err.message and "another model" in err.message and "weights.model.safetensors" in err.message
    assert err.file == str(parts[2] / layout.MODEL)


def test_refuses_a_part_from_another_data_revision(tmp_path):
    _, parts = make_parts(tmp_path)
    datasets = _json(parts[0], layout.MANIFEST)["datasets"]
    remanifest(parts[0], datasets=[{**datasets[0], "revision": "r2"}])
    err = _merge_error(parts, tmp_path)
    assert "part 2/3" in err.message and "part 1/3" in err.message and "data revision" in err.message and "revision" in err.field


def test_refuses_overlapping_parts(tmp_path):
    _, parts = make_parts(tmp_path)
    twin = copy_part(parts[1], tmp_path / "rerun-elsewhere")
    err = _merge_error([*parts, twin], tmp_path)
    assert "overlapping parts" in err.message and str(parts[1]) in err.message and str(twin) in err.message


def test_refuses_missing_parts_naming_them(tmp_path):
    _, parts = make_parts(tmp_path, n=4)
    err = _merge_error([parts[0], parts[2]], tmp_path)
    assert "missing part(s): 2/4" in err.message and "4/4" in err.message and "shard-2-of-4" in err.message


def test_refuses_parts_that_split_the_job_differently(tmp_path):
    _, three = make_parts(tmp_path / "a")
    _, two = make_parts(tmp_path / "b", n=2)
    err = _merge_error([three[0], two[1], three[2]], tmp_path)
    assert "split the job differently" in err.message and "one of 2" in err.message


def test_refuses_a_record_doubled_across_parts(tmp_path):
    _, parts = make_parts(tmp_path)
    stray = next(RecordStore(parts[0]).iter_records("gen"))  # part 1's record, appended to part 3 too
    with RecordStore(parts[2]).open_for_append("gen") as app:
        app.append([stray], {})
    remanifest(parts[2])
    err = _merge_error(parts, tmp_path)
    assert "part 3/3" in err.message and "outside its slice" in err.message and stray.sample_id in err.message


def test_refuses_an_unfinished_or_changed_part(tmp_path):
    _, parts = make_parts(tmp_path)
    rows = parts[1] / layout.RECORDS / "mc.jsonl"
    rows.write_bytes(rows.read_bytes().replace(b'"run":1', b'"run":1 ', 1))  # edited after the manifest
    err = _merge_error(parts, tmp_path)
    assert "part 2/3" in err.message and "records/mc.jsonl" in err.message and "changed since" in err.message
    (parts[1] / layout.MANIFEST).unlink()  # as a killed shard leaves it
    err = _merge_error(parts, tmp_path)
    assert "2/3 is not finished" in err.message and "resume" in err.message


def test_slices_cover_every_sample_once_and_differ_by_at_most_one():
    ids = {"a": [f"a/{i}" for i in range(10)], "b": [f"b/{i}" for i in range(3)], "c": []}
    for n in (1, 2, 3, 5, 13, 20):
        slices = [assign(ids, k, n) for k in range(1, n + 1)]
        got = sorted((b, s) for sl in slices for b, ss in sl.items() for s in ss)
        assert got == sorted((b, s) for b, ss in ids.items() for s in ss)
        sizes = [sum(map(len, sl.values())) for sl in slices]
        assert max(sizes) - min(sizes) <= 1
    assert assign(ids, 2, 3) == assign(ids, 2, 3)  # deterministic


@pytest.mark.parametrize("bad", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_bad_shard_setting_names_run_shard(bad):
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec

    with pytest.raises(ConfigError) as err:
        build_run_spec(compose("run", ["model=tiny", f"run.shard={bad}"]), {"run": "default"})
    assert err.value.field == "run.shard" and err.value.file.endswith("configs/run/default.yaml")
    with pytest.raises(ValueError):
        parse_shard(bad)


def test_every_shard_names_the_single_jobs_pack():
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec

    single = build_run_spec(compose("run", ["model=tiny"]))
    for k in (1, 2, 3):
        part = build_run_spec(compose("run", ["model=tiny", f"run.shard={k}/3"]))
        assert part.run_id == single.run_id and part.pack_dir == single.out_dir and part.shard == (k, 3)
        assert part.out_dir == single.out_dir.with_name(single.out_dir.name + ".parts") / f"shard-{k}-of-3"
        assert part.config["run"]["shard"] == f"{k}/3"
