"""Ed25519 key pairs, and signing a statement (a JSON object) so that anyone holding the public key can tell
it was written by the key's holder and not changed since.

A public key is one line, `ed25519:<base64 of the 32 raw bytes>`: short enough to paste into a scoring config.
The private key is PKCS#8 PEM, readable by its owner only. A statement is signed over its canonical JSON
(sorted keys, no spaces, UTF-8, no NaN), so the same object signs the same way on every machine."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from harness.errors import ConfigError

PREFIX = "ed25519:"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode("ascii")


def key_id(public: str) -> str:
    """A short name for a public key (16 hex digits of its sha256), shown in verdicts and errors."""
    return hashlib.sha256(public.strip().encode("ascii")).hexdigest()[:16]


def parse_public(text: str, *, file: Path | str | None = None, field: str | None = None) -> Ed25519PublicKey:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise ConfigError(f"not an Ed25519 public key (expected '{PREFIX}<base64>', as `harness keys new` writes)", file=file, field=field)
    try:
        raw = base64.b64decode(text[len(PREFIX):], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ConfigError("not an Ed25519 public key (bad base64 or not 32 bytes)", file=file, field=field) from None


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as err:
        raise ConfigError(f"cannot read the signing key ({err.strerror})", file=path, field="verify.key") from None
    except (ValueError, TypeError):
        raise ConfigError("not an unencrypted PEM private key (make one with `harness keys new`)", file=path, field="verify.key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("not an Ed25519 key (make one with `harness keys new`)", file=path, field="verify.key")
    return key


def new_key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """Write `<name>.key` (private, mode 0600) and `<name>.pub` into `directory`; never over an existing file."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    for p in (private_path, public_path):
        if p.exists():
            raise ConfigError("exists already; a key is never overwritten (choose another name= or directory)", file=p)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_text(public_text(key.public_key()) + "\n")
    return private_path, public_path


@dataclass(frozen=True)
class Signature:
    algorithm: str
    public_key: str
    key_id: str
    value: str  # base64

    def to_dict(self) -> dict[str, str]:
        return {"algorithm": self.algorithm, "public_key": self.public_key, "key_id": self.key_id, "value": self.value}


def sign(statement: dict[str, Any], key: Ed25519PrivateKey) -> Signature:
    public = public_text(key.public_key())
    return Signature("ed25519", public, key_id(public), base64.b64encode(key.sign(canonical(statement))).decode("ascii"))


def check(statement: Any, signature: Any, accepted: dict[str, Ed25519PublicKey]) -> str | None:
    """None when `signature` is a valid signature of `statement` by one of the `accepted` keys (by key id);
    otherwise the reason, in words."""
    if not isinstance(statement, dict) or not isinstance(signature, dict):
        return "not signed (no statement and signature)"
    if signature.get("algorithm") != "ed25519":
        return f"signature algorithm {signature.get('algorithm')!r} is not ed25519"
    kid = str(signature.get("key_id"))
    public = accepted.get(kid)
    if public is None:
        return f"signed by key {kid}, which the scoring config does not accept (accepted: {sorted(accepted) or 'none'})"
    try:
        public.verify(base64.b64decode(str(signature.get("value")), validate=True), canonical(statement))
    except (InvalidSignature, ValueError):
        return f"the signature does not verify with accepted key {kid} (the verdict was edited after signing, or signed by another key)"
    return None
