"""A pack is written only into a new or empty directory or a pack of the same job: never among a user's files."""

from __future__ import annotations

import pytest

from harness.config.compose import compose
from harness.config.spec import build_run_spec
from harness.errors import RecordError
from harness.runner.job import run_job


@pytest.mark.parametrize("foreign", ["config.json", "model.safetensors", "notes.txt", "summary.json.bak"])
def test_out_among_foreign_files_is_refused_before_anything_runs(tmp_path, foreign):
    out = tmp_path / "somebodys-dir"
    out.mkdir()
    (out / foreign).write_text("theirs\n")
    spec = build_run_spec(compose("run", ["model=tiny", f"out={out}"]))
    with pytest.raises(RecordError, match="did not write") as err:
        run_job(spec)
    assert err.value.file == str(out)
    assert [p.name for p in out.iterdir()] == [foreign] and (out / foreign).read_text() == "theirs\n"


def test_out_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "a-file"
    out.write_text("x")
    with pytest.raises(RecordError, match="not a directory"):
        run_job(build_run_spec(compose("run", ["model=tiny", f"out={out}"])))
    assert out.read_text() == "x"
