"""Key pairs and signed statements: a signature holds for its statement and key only."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from harness.errors import ConfigError
from harness.paths import REPO_ROOT
from harness.signing.keys import check, key_id, load_private, new_key_pair, parse_public, sign


def test_keys_new_writes_a_private_key_for_its_owner_only_and_never_overwrites(tmp_path):
    res = subprocess.run([sys.executable, "-m", "harness.cli", "keys", "new", str(tmp_path), "name=tta"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE((tmp_path / "tta.key").stat().st_mode) == 0o600
    public = (tmp_path / "tta.pub").read_text().strip()
    assert public.startswith("ed25519:") and public in res.stdout and key_id(public) in res.stdout
    before = (tmp_path / "tta.key").read_bytes()
    again = subprocess.run([sys.executable, "-m", "harness.cli", "keys", "new", str(tmp_path), "name=tta"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert (tmp_path / "tta.key").read_bytes() == before


def test_a_signature_holds_for_its_statement_and_key_only(tmp_path):
    priv, pub = new_key_pair(tmp_path, "a")
    _, other_pub = new_key_pair(tmp_path, "b")
    text = pub.read_text()
    accepted = {key_id(text): parse_public(text)}
    statement = {"verdict": "PASS", "manifest_sha256": "ab" * 32, "draw": {"seed": 1, "triples": [["x", "1", 0]]}}
    sig = sign(statement, load_private(priv)).to_dict()
    assert check(statement, sig, accepted) is None
    assert "does not verify" in check({**statement, "verdict": "FAIL"}, sig, accepted)
    assert "does not accept" in check(statement, sig, {key_id(other_pub.read_text()): parse_public(other_pub.read_text())})
    assert "not signed" in check(statement, None, accepted)
    forged = dict(sig, value=sig["value"][:-4] + "AAA=")
    assert "does not verify" in check(statement, forged, accepted)


def test_bad_key_files_are_clear_errors(tmp_path):
    (tmp_path / "x.key").write_text("not a key")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_private(tmp_path / "x.key")
    with pytest.raises(ConfigError, match="not an Ed25519 public key"):
        parse_public("ssh-ed25519 AAAA")
