"""Ed25519 keys and signed statements: a verifier's verdict that `harness score` can trust by its key alone."""
