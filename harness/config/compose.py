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
        field = (err.options and getattr(err, "config_name", None)) or None
        raise ConfigError(str(err).splitlines()[0], file=CONFIG_DIR / f"{config_name}.yaml", field=field) from None
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(str(err).splitlines()[0], file=CONFIG_DIR / f"{config_name}.yaml") from None
