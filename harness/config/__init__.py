"""Hydra configs → validated, typed specs. Nothing here loads a model."""

from omegaconf import OmegaConf

from harness.paths import REPO_ROOT

# `${repo:}` in configs: the repository root, for files the project ships (NIA-format examples).
OmegaConf.register_new_resolver("repo", lambda: str(REPO_ROOT), replace=True)
