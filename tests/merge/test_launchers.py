"""The launcher configs docs/cluster.md submits with: `hydra/launcher=slurm` is a Slurm job array with the GPUs,
time limit, partition and requeues taken from config; `hydra/launcher=local` is its one-machine twin."""

from __future__ import annotations

from omegaconf import OmegaConf

from harness.config.compose import compose


def _launcher(*overrides):
    cfg = compose("run", ["model=tiny", *overrides], return_hydra_config=True)
    return OmegaConf.to_container(cfg.hydra.launcher, resolve=False), cfg


def test_slurm_takes_gpus_time_limit_partition_and_requeues_from_config():
    launcher, cfg = _launcher("hydra/launcher=slurm", "hydra.launcher.partition=gpu", "hydra.launcher.gpus_per_node=4",
                              "hydra.launcher.timeout_min=90", "hydra.launcher.account=kmodel")
    assert launcher["_target_"].endswith("submitit_launcher.SlurmLauncher")
    assert (launcher["partition"], launcher["gpus_per_node"], launcher["timeout_min"], launcher["account"]) == ("gpu", 4, 90, "kmodel")
    assert launcher["max_num_timeout"] > 0 and launcher["signal_delay_s"] > 0  # a task at its time limit is requeued
    assert launcher["nodes"] == 1 and launcher["tasks_per_node"] == 1  # one harness process per shard
    assert OmegaConf.select(cfg, "hydra.launcher.name") == "harness-sample"


def test_local_is_submitits_local_executor():
    launcher, _ = _launcher("hydra/launcher=local")
    assert launcher["_target_"].endswith("submitit_launcher.LocalLauncher") and launcher["timeout_min"] > 0
