"""Bach's own sopranos harmonised by compose, every stage's output kept: the generated side of the
automated Turing test (`evaluation/turing_test.py`, `deepchorale evaluate mode=turing`).

Each chorale's soprano becomes a `Melody` with the chorale's meter, pickup and key, and goes
through `compose.pipeline.compose_track` at the settings of the compose config given (the shipped ones
unless overridden), with no form: the target duration is the tune's own, so the plan is the tune
once, and a harmonisation lines up step for step with its Bach source. As in
`benchmarks/accompany_test_split.py`, only the soprano is Bach's; here the lower voices come from
compose's stages: harmonize (Coconet), revise (critic-guided redraws), embellish (AR-CNN), ornament.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from omegaconf import DictConfig

from deepchorale.compose.critic import Critic
from deepchorale.compose.melody import Melody
from deepchorale.compose.pipeline import compose_track
from deepchorale.compose.settings import compose_registers, load_articulator, load_harmoniser, stage_settings
from deepchorale.data.chorale import STEPS_PER_QUARTER, Chorale
from deepchorale.models.weights import load_model

QPM = 96.0  # any tempo: with no form to plan it only sets the duration, never the notes


def soprano_melody(chorale: Chorale) -> Melody:
    return Melody(
        chorale.id,
        chorale.pitches[0].copy(),
        chorale.onsets[0].copy(),
        meter=chorale.meter,
        pickup=chorale.pickup,
        qpm=QPM,
        key_tonic=chorale.key_tonic,
        key_mode=chorale.key_mode,
    )


def piece_id(chorale_id: str, stage: str, seed: int) -> str:
    """The id of a stage's harmonisation of a chorale's soprano with one compose seed."""
    return f"{chorale_id}-{stage}-seed{seed}"


def harmonise_sopranos(
    chorales: Sequence[Chorale],
    cfg: DictConfig,
    seeds: Sequence[int],
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, list[tuple[str, Chorale]]], dict[str, float]]:
    """{stage: [(source chorale id, piece), ...]} for every chorale and seed, in that order, and
    the seconds spent per stage. `cfg` is a compose config (`compose.settings.compose_config`);
    raises `SettingsError`/`WeightsError` as `deepchorale compose` does on bad settings."""
    settings = stage_settings(cfg)
    registers = compose_registers(cfg)
    harmoniser = load_harmoniser(cfg)
    arcnn = load_model(cfg.models.arcnn, kind="arcnn") if cfg.embellish.enabled else None
    critic = Critic(load_model(cfg.critic, kind="judge") if cfg.critic else None)
    articulator = load_articulator(cfg)
    stages: dict[str, list[tuple[str, Chorale]]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    for count, chorale in enumerate(chorales, 1):
        melody = soprano_melody(chorale)
        duration = chorale.num_steps * 60.0 / (QPM * STEPS_PER_QUARTER)
        for seed in seeds:
            composition = compose_track(melody, harmoniser, arcnn, target_seconds=duration,
                                        max_tempo_change=cfg.duration.max_tempo_change, seed=seed,
                                        critic=critic, articulator=articulator, registers=registers,
                                        **settings)  # fmt: skip
            for stage, piece in composition.stages.items():
                if stage == "harmonize" and not np.array_equal(piece.pitches[0], chorale.pitches[0]):
                    raise ValueError(
                        f"{chorale.id}: compose moved the soprano (plan or range): not comparable"
                    )
                stages[stage].append((chorale.id, replace(piece, id=piece_id(chorale.id, stage, seed))))
            for stage, spent in composition.seconds.items():
                seconds[stage] += spent
        if progress is not None:
            progress(f"harmonised {count}/{len(chorales)}: {chorale.id}")
    return dict(stages), dict(seconds)
