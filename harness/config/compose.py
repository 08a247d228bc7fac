"""Compose a config from `configs/` with command-line overrides, turning Hydra's errors into ours."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from harness.errors import ConfigError
from harness.paths import CONFIG_DIR


def compose(config_name: str, overrides: Sequence[str] = (), *, return_hydra_config: bool = False) -> DictConfig:
    """Compose `configs/<config_name>.yaml` with overrides (`key=value`, `group=option`) as `harness` does.

    For `run`, a suite that names `sections:` gets every benchmark config of those sections (their own
    `sections:` key), so adding a benchmark to a section is one YAML file."""
    overrides = list(overrides)
    if config_name == "run":
        overrides += section_overrides(overrides)
    return _compose(config_name, overrides, return_hydra_config)


def section_overrides(overrides: Sequence[str]) -> list[str]:
    """`+benchmark@suite.benchmarks.<name>=<name>` for each benchmark of the chosen suite's sections that the
    suite does not list itself."""
    from harness.config.catalog import benchmarks_in_section

    suite = _compose("run", [o for o in overrides if o.startswith("suite=") and "," not in o][-1:], False).suite
    sections = list(suite.get("sections") or [])
    if not sections:
        return []
    listed = set(suite.get("benchmarks") or {}) | {o.split("=", 1)[0].rsplit(".", 1)[-1] for o in overrides if o.startswith("+benchmark@")}
    names = sorted({n for sec in sections for n in benchmarks_in_section(sec)} - listed)
    return [f"+benchmark@suite.benchmarks.{n}={n}" for n in names]


def _compose(config_name: str, overrides: list[str], return_hydra_config: bool) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException, MissingConfigException
    from omegaconf.errors import OmegaConfBaseException

    from hydra.core.global_hydra import GlobalHydra

    outer = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    if outer is not None:  # inside hydra.main (a sweep's job): compose beside it, then put it back
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="harness"):
            return hydra_compose(config_name=config_name, overrides=overrides, return_hydra_config=return_hydra_config)
    except MissingConfigException as err:
        # Hydra's whole message: it lists the available options of the group.
        field = (err.options and getattr(err, "config_name", None)) or None
        raise ConfigError(_tidy(str(err)), file=CONFIG_DIR / f"{config_name}.yaml", field=field) from None
    except (HydraException, OmegaConfBaseException) as err:
        # The whole message too: "To append to your config use +key=value" is the hint a newcomer needs.
        raise ConfigError(_tidy(str(err)), file=CONFIG_DIR / f"{config_name}.yaml", field=_key_of(err)) from None
    finally:
        if outer is not None:
            GlobalHydra.instance().clear()
            GlobalHydra.instance().initialize(outer)


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


def validated(config_name: str, overrides: Sequence[str], schema: type, file_of: dict[str, str] | None = None) -> dict:
    """Compose, resolve and check against `schema` (unknown keys refused): the config as a plain dict.
    `file_of` maps a top-level key to the file named in errors (default: configs/<config_name>.yaml)."""
    from omegaconf import OmegaConf
    from pydantic import ValidationError

    cfg = compose(config_name, overrides)
    default_file = CONFIG_DIR / f"{config_name}.yaml"
    try:
        raw = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except Exception as err:  # a required value left ??? (verify.seed) or a broken interpolation
        key = str(getattr(err, "full_key", "") or "")
        file = (file_of or {}).get(key.split(".")[0], default_file)
        raise ConfigError(f"{key or 'a value'} is required ({str(err).splitlines()[0]})", file=file, field=key or None) from None
    try:
        return schema.model_validate(raw).model_dump()
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(x) for x in first["loc"])
        file = (file_of or {}).get(key.split(".")[0], default_file)
        message = (f"unknown key {str(first['loc'][-1])!r} (misspelt, or not a setting of this group)" if first["type"] == "extra_forbidden"
                   else first["msg"].removeprefix("Value error, ") if first["type"] == "value_error"
                   else f"{first['msg']} (got {first.get('input')!r})")
        raise ConfigError(message, file=file, field=key) from None
