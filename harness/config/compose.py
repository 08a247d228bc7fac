"""Compose a config from `configs/` with command-line overrides, turning Hydra's errors into ours."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from harness.errors import ConfigError
from harness.paths import CONFIG_DIR


def compose(config_name: str, overrides: Sequence[str] = (), *, return_hydra_config: bool = False) -> DictConfig:
    """Compose `configs/<config_name>.yaml` with overrides (`key=value`, `group=option`) as `harness` does."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="harness"):
            return hydra_compose(
                config_name=config_name, overrides=list(overrides), return_hydra_config=return_hydra_config
            )
    except MissingConfigException as err:
        # Hydra's whole message: it lists the available options of the group.
        field = (err.options and getattr(err, "config_name", None)) or None
        raise ConfigError(_tidy(str(err)), file=CONFIG_DIR / f"{config_name}.yaml", field=field) from None
    except (HydraException, OmegaConfBaseException) as err:
        # The whole message too: "To append to your config use +key=value" is the hint a newcomer needs.
        raise ConfigError(_tidy(str(err)), file=CONFIG_DIR / f"{config_name}.yaml", field=_key_of(err)) from None


def _tidy(message: str) -> str:
    lines = [ln.rstrip() for ln in message.strip().splitlines()]
    out: list[str] = []
    for ln in lines:  # drop omegaconf's trailing "full_key/object_type" dump, keep Hydra's lists and hints
        if ln.startswith("Config search path"):
            break
        if ln.strip().startswith(("full_key:", "object_type=", "reference_type=")):
            continue
        out.append(ln.replace("\t", "  ").replace("\t", "  "))
    return "\n".join(out)


def _key_of(err: Exception) -> str | None:
    key = getattr(err, "full_key", None) or getattr(getattr(err, "__cause__", None), "full_key", None)
    if key:
        return str(key)
    import re

    m = re.search(r"Could not override '([^']+)'|Key '([^']+)' is not in struct", str(err))
    return next((g for g in m.groups() if g), None) if m else None
