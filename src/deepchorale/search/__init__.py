"""Hyperparameter search with Optuna: `deepchorale search hparams_search=<space>` (apps/search.py).

`space` turns config into distributions and a trial's parameters into Hydra overrides, `study`
holds the shared study (storage, stale trials, the trial table), `worker` runs trials as CLI
processes, `pruning` is the callback a trial process reports its validation values with, and
`trial_wandb` writes the W&B run of a trial whose app logs none.
"""
