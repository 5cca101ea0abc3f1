"""An automated Turing test: can a discriminator trained from scratch tell generated chorales from
Bach's own, two bars at a time?

Given Bach's chorales and generated ones, each tagged with the Bach chorale whose soprano it
harmonises, every piece is cut into 2-bar windows (`turing_features`) labelled 1 (generated) or
0 (Bach), and fresh discriminators that nothing else uses are cross-validated on them:
- `trees`: gradient-boosted trees (sklearn's `HistGradientBoostingClassifier`) on the
  interpretable window features;
- `cnn`: a small CNN over the windows' per-voice piano rolls and onset planes, trained a few
  epochs on the CPU.
Folds keep each Bach chorale and every harmonisation of its soprano together (grouped by source
chorale, stratified so that each fold holds both labels): a discriminator never meets, at test
time, a tune it was trained on. The figures per discriminator are the ROC AUC of the pooled
out-of-fold scores (0.5: no better than chance; 1: always told apart) and a 95% percentile
bootstrap interval that resamples chorales, not windows (windows of one chorale are not
independent), within each kind of group. Per feature, its univariate AUC over all windows says
what gives the generated set away, with both sets' means.

`bach_against_bach` is the control, run through the same code: the Bach chorales split at random
into two halves by chorale (one of each pair of similar chorales), one half labelled "generated";
it should read 0.5 within its interval.
Everything random draws from `seed`, so the same inputs and settings give the same figures.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold
from torch import nn

from deepchorale.data.chorale import Chorale
from deepchorale.evaluation.turing_features import FEATURES, cut_windows, window_features, window_planes

DISCRIMINATORS = ("trees", "cnn")


@dataclass(frozen=True)
class TuringSettings:
    folds: int = 5  # cross-validation folds (fewer when there are fewer chorales on a side)
    bootstrap_resamples: int = 1000  # for the 95% intervals
    window_bars: int = 2
    hop_bars: int = 1  # windows start every bar: they overlap, but never across folds
    cnn_epochs: int = 12
    top_features: int = 10  # features reported, most telling first
    discriminators: tuple[str, ...] = DISCRIMINATORS
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "discriminators", tuple(self.discriminators))
        unknown = [name for name in self.discriminators if name not in DISCRIMINATORS]
        if unknown or not self.discriminators:
            raise ValueError(f"discriminators must be some of {', '.join(DISCRIMINATORS)}, got {unknown}")
        if self.folds < 2 or self.bootstrap_resamples < 1 or self.cnn_epochs < 1 or self.top_features < 0:
            raise ValueError(
                f"the Turing test needs folds >= 2 (got {self.folds}), bootstrap_resamples >= 1 "
                f"({self.bootstrap_resamples}), cnn_epochs >= 1 ({self.cnn_epochs}), top_features >= 0 "
                f"({self.top_features})"
            )
        if not 1 <= self.hop_bars <= self.window_bars:
            raise ValueError(f"hop_bars {self.hop_bars} must be in [1, window_bars {self.window_bars}]")


@dataclass(frozen=True)
class LabelledWindows:
    features: np.ndarray  # (N, len(FEATURES)) float, NaN where undefined
    planes: np.ndarray  # (N, 8, 46, L) uint8
    labels: np.ndarray  # (N,) 1 = generated, 0 = Bach
    groups: np.ndarray  # (N,) index of the source chorale in `sources`
    sources: list[str]


def labelled_windows(pieces: Sequence[tuple[Chorale, int, str]], settings: TuringSettings) -> LabelledWindows:
    """The windows of (piece, label, group) triples; the group names the source chorale."""
    sources = list(dict.fromkeys(group for _, _, group in pieces))
    group_of = {source: i for i, source in enumerate(sources)}
    cut = [cut_windows(chorale, settings.window_bars, settings.hop_bars) for chorale, _, _ in pieces]
    length = max((windows.pitches.shape[-1] for windows in cut), default=0)
    counts = [len(windows.starts) for windows in cut]
    return LabelledWindows(
        features=np.concatenate([window_features(c, w) for (c, _, _), w in zip(pieces, cut)]),
        planes=np.concatenate([window_planes(windows, length) for windows in cut]),
        labels=np.repeat([label for _, label, _ in pieces], counts),
        groups=np.repeat([group_of[group] for _, _, group in pieces], counts),
        sources=sources,
    )


def fold_of(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """(N,) the fold of each window: whole groups per fold, both labels in each (as far as the
    groups allow), at most as many folds as there are groups holding each label."""
    holding = [len(np.unique(groups[labels == label])) for label in (0, 1)]
    folds = min(folds, *holding)
    if folds < 2:
        raise ValueError(f"the Turing test needs two chorales on each side, got {holding} (Bach, generated)")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold = np.empty(len(labels), np.int64)
    for index, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        fold[test] = index
    return fold


def auc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None) -> float:
    """ROC AUC, P(score of a generated window > score of a Bach one), ties counted half; windows
    weighted by `weights` (a bootstrap's counts). NaN when a label is absent."""
    weights = np.ones(len(labels)) if weights is None else weights
    _, rank = np.unique(scores, return_inverse=True)
    positive = np.bincount(rank, weights * (labels == 1))
    negative = np.bincount(rank, weights * (labels == 0))
    pairs = positive.sum() * negative.sum()
    below = np.cumsum(negative) - negative
    return float((positive * (below + 0.5 * negative)).sum() / pairs) if pairs > 0 else float("nan")


def bootstrap_auc(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, resamples: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of the AUC over resamples of whole groups (chorales), drawn within each
    kind of group (holding Bach, generated or both), so each resample keeps both labels."""
    rng = np.random.default_rng(seed)
    kinds = {}
    for group in np.unique(groups):
        kinds.setdefault(tuple(np.unique(labels[groups == group])), []).append(group)
    estimates = []
    for _ in range(resamples):
        counts = np.zeros(groups.max() + 1)
        for members in kinds.values():
            counts += np.bincount(rng.choice(members, len(members)), minlength=len(counts))
        estimates.append(auc(labels, scores, counts[groups]))
    low, high = np.quantile(estimates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def feature_aucs(features: np.ndarray, labels: np.ndarray) -> list[dict]:
    """Per feature: its univariate AUC (> 0.5: higher in the generated set), both sets' means;
    most telling (|AUC - 0.5|) first. Undefined values (NaN) are left out."""
    rows = []
    for name, values in zip(FEATURES, features.T):
        defined = ~np.isnan(values)
        bach, generated = values[defined & (labels == 0)], values[defined & (labels == 1)]
        rows.append({
            "feature": name,
            "auc": auc(labels[defined], values[defined]),
            "bach_mean": float(bach.mean()) if bach.size else float("nan"),
            "generated_mean": float(generated.mean()) if generated.size else float("nan"),
        })  # fmt: skip
    return sorted(rows, key=lambda row: -abs(np.nan_to_num(row["auc"], nan=0.5) - 0.5))


def fit_trees(train: np.ndarray, labels: np.ndarray, test: np.ndarray, seed: int, settings) -> np.ndarray:
    """Gradient-boosted trees on the features (NaN handled natively): P(generated) of `test`."""
    trees = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                           l2_regularization=1.0, random_state=seed)  # fmt: skip
    return trees.fit(train, labels).predict_proba(test)[:, 1]


class WindowNet(nn.Module):
    """Three 3x3 convolutions over (pitch, time) with batch norm, then the max and the mean over
    time: the pitch axis survives (coarsely), so the net can hear register as well as shapes.
    On 12 test chorales' harmonize stage it read 0.73 without batch norm and the mean, 0.92 with."""

    def __init__(self, planes: int = 8, width: int = 8, pitches: int = 46) -> None:
        super().__init__()
        layers, channels = [], planes
        for index, out in enumerate((width, 2 * width, 2 * width)):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU()]
            layers += [nn.MaxPool2d(2)] if index < 2 else []
            channels = out
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(2 * channels * (pitches // 4), 1)

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        hidden = self.body(planes)  # (B, C, pitches // 4, steps // 4)
        pooled = torch.cat([hidden.amax(dim=-1), hidden.mean(dim=-1)], dim=1)
        return self.head(pooled.flatten(1)).squeeze(1)


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch at one intra-op thread inside, as many as before after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def fit_cnn(train: np.ndarray, labels: np.ndarray, test: np.ndarray, seed: int, settings) -> np.ndarray:
    """A fresh `WindowNet` trained `settings.cnn_epochs` epochs (Adam, batch 32): P(generated).

    At one thread, whatever the machine's: with more, the convolutions' float sums run in another
    order and one seed gave AUCs 0.05 apart (0.776 at one thread, 0.725 at two, the same pieces:
    benchmarks/README.md)."""
    with torch.random.fork_rng(devices=[]), one_thread():  # seeded without moving the caller's generator
        torch.manual_seed(seed)
        net = WindowNet(planes=train.shape[1], pitches=train.shape[2])
        optimiser = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
        planes, targets = torch.from_numpy(train), torch.from_numpy(labels.astype(np.float32))
        for _ in range(settings.cnn_epochs):
            for batch in torch.randperm(len(planes)).split(32):
                if len(batch) < 2:  # batch norm needs two windows
                    continue
                logits = net(planes[batch].float())
                loss = nn.functional.binary_cross_entropy_with_logits(logits, targets[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        net.eval()
        with torch.no_grad():
            scores = [torch.sigmoid(net(batch.float())) for batch in torch.from_numpy(test).split(256)]
        return torch.cat(scores).numpy()


FITTERS = {"trees": (fit_trees, "features"), "cnn": (fit_cnn, "planes")}


def out_of_fold(
    windows: LabelledWindows, name: str, fold: np.ndarray, settings: TuringSettings
) -> np.ndarray:
    """(N,) each window's score from the discriminator trained on the other folds."""
    fit, inputs = FITTERS[name]
    data = getattr(windows, inputs)
    scores = np.empty(len(fold))
    for index in range(fold.max() + 1):
        train, test = fold != index, fold == index
        if len(np.unique(windows.labels[train])) < 2:  # a fold the grouping left one-sided
            scores[test] = windows.labels[train].mean()
            continue
        scores[test] = fit(data[train], windows.labels[train], data[test], settings.seed + index, settings)
    return scores


def discriminate(windows: LabelledWindows, settings: TuringSettings) -> dict:
    """AUC and interval of every discriminator, and the telling features, on labelled windows."""
    fold = fold_of(windows.labels, windows.groups, settings.folds, settings.seed)
    results = {}
    for name in settings.discriminators:
        scores = out_of_fold(windows, name, fold, settings)
        interval = bootstrap_auc(
            windows.labels, scores, windows.groups, settings.bootstrap_resamples, settings.seed
        )
        results[name] = {"auc": auc(windows.labels, scores), "ci95": list(interval)}
    return {
        "windows": {"bach": int((windows.labels == 0).sum()), "generated": int(windows.labels.sum())},
        "chorales": len(np.unique(windows.groups)),
        "folds": int(fold.max() + 1),
        "discriminators": results,
        "features": feature_aucs(windows.features, windows.labels)[: settings.top_features],
    }


def turing_test(
    bach: Sequence[Chorale], generated: Sequence[tuple[str, Chorale]], settings: TuringSettings
) -> dict:
    """Bach against the generated pieces, each a (source chorale id, piece) pair: a piece and its
    source share a group."""
    missing = sorted({source for source, _ in generated} - {chorale.id for chorale in bach})
    if missing:
        raise ValueError(f"generated pieces name sources that are not among the Bach chorales: {missing[:3]}")
    pieces = [(chorale, 0, chorale.id) for chorale in bach] + [
        (piece, 1, source) for source, piece in generated
    ]
    return discriminate(labelled_windows(pieces, settings), settings)


def matched_pairs(windows: LabelledWindows) -> list[tuple[int, int]]:
    """Groups paired greedily, closest first, by the distance between their mean (standardised)
    window features; with an odd count one is left out."""
    standard = (windows.features - np.nanmean(windows.features, 0)) / (np.nanstd(windows.features, 0) + 1e-9)
    standard = np.nan_to_num(standard)
    groups = np.unique(windows.groups)
    means = np.stack([standard[windows.groups == group].mean(axis=0) for group in groups])
    distance = ((means[:, None] - means[None]) ** 2).sum(axis=-1)
    first, second = np.triu_indices(len(groups), k=1)
    paired, pairs = set(), []
    for index in np.argsort(distance[first, second], kind="stable"):
        i, j = int(first[index]), int(second[index])
        if i not in paired and j not in paired:
            paired |= {i, j}
            pairs.append((int(groups[i]), int(groups[j])))
    return pairs


def bach_against_bach(bach: Sequence[Chorale], settings: TuringSettings) -> dict:
    """The control: Bach's chorales split at random into two halves by chorale, one half labelled
    "generated", through the same code. It should read 0.5.

    Like the test's groups (a Bach chorale and its harmonisations), each group holds one chorale
    of each half: the chorales are matched in pairs of similar ones (`matched_pairs`) and a coin
    flip per pair picks the "generated" one. Halves drawn freely, each chorale its own group, read
    below chance instead: 0.42 on average over 8 draws of the 40 test chorales (0.35-0.56), against
    0.49 (0.45-0.54) over 10 draws of matched pairs (trees). Holding a chorale out leaves the
    chorales like it in training tilted towards the other label, so a discriminator that learns
    chorales scores it against its own (the stratification bias of Parker et al. 2007, BMC
    Bioinformatics 8:326); holding out a pair leaves no tilt."""
    windows = labelled_windows([(chorale, 0, chorale.id) for chorale in bach], settings)
    pairs = matched_pairs(windows)
    flips = np.random.default_rng(settings.seed).integers(0, 2, len(pairs))
    label, group = np.full(len(bach), -1), np.full(len(bach), -1)
    for index, (pair, flip) in enumerate(zip(pairs, flips)):
        label[list(pair)], group[list(pair)] = (flip, 1 - flip), index
    kept = label[windows.groups] >= 0
    control = replace(
        windows,
        features=windows.features[kept],
        planes=windows.planes[kept],
        labels=label[windows.groups][kept],
        groups=group[windows.groups][kept],
        sources=[f"{windows.sources[a]}|{windows.sources[b]}" for a, b in pairs],
    )
    halves = [[windows.sources[g] for pair in pairs for g in pair if label[g] == side] for side in (0, 1)]
    return discriminate(control, settings) | {"halves": halves}


def turing_report(
    bach: Sequence[Chorale],
    stages: Mapping[str, Sequence[tuple[str, Chorale]]],
    settings: TuringSettings,
    control: Sequence[Chorale] | None = None,
) -> dict:
    """The test for each stage's pieces against `bach`, and the control on `control` (default
    `bach`; it needs no harmonising, so callers may give it more chorales for a sharper check)."""
    return {
        "settings": asdict(settings),
        "stages": {stage: turing_test(bach, pieces, settings) for stage, pieces in stages.items()},
        "control": bach_against_bach(bach if control is None else control, settings),
    }
