"""`harness keys new [DIR] [name=NAME]`: a verifier's Ed25519 key pair. The private key signs `harness verify`'s
verdicts (verify.key=DIR/NAME.key); the public key goes into the scoring config's `accepted_keys`."""

from __future__ import annotations

from pathlib import Path

from harness.errors import ConfigError
from harness.signing.keys import key_id, new_key_pair

USAGE = "usage: harness keys new [DIR] [name=NAME]   (default DIR ~/.config/harness/keys, NAME verifier)"


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "new":
        raise ConfigError(USAGE)
    rest = argv[1:]
    names = [a.split("=", 1)[1] for a in rest if a.startswith("name=")]
    dirs = [a for a in rest if "=" not in a]
    unknown = [a for a in rest if "=" in a and not a.startswith("name=")]
    if len(dirs) > 1 or len(names) > 1 or unknown:
        raise ConfigError(USAGE)
    name = names[0] if names else "verifier"
    if not name or "/" in name or name.startswith("."):
        raise ConfigError(f"name {name!r} is not a plain file name", field="name")
    directory = Path(dirs[0]).expanduser().resolve() if dirs else Path.home() / ".config" / "harness" / "keys"
    private, public = new_key_pair(directory, name)
    text = public.read_text().strip()
    print(f"private key: {private} (keep it; sign verdicts with `harness verify PACK verify.seed=N verify.key={private}`)")
    print(f"public key:  {public}  id {key_id(text)}")
    print(f"  {text}")
    print("Give the public key line to whoever scores: it goes into the scoring config's `accepted_keys`.")
    return 0
