"""constraints.txt pins the whole install (scripts/setup.sh): every distribution deepchorale needs,
directly or through another, is pinned there, and the environment under test holds those versions.
An unpinned or drifted package lets a fresh install make different music from the same seed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

CONSTRAINTS = Path(__file__).resolve().parents[1] / "constraints.txt"


def pins() -> dict[str, Version]:
    pinned = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"{line}: a constraint pins one version"
            pinned[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pinned


def needed(extras: tuple[str, ...] = ("dev",)) -> set[str]:
    """Every distribution deepchorale[dev] requires, transitively, as installed (markers evaluated)."""
    seen, todo = set(), [(canonicalize_name("deepchorale"), extras)]
    while todo:
        name, wanted_extras = todo.pop()
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *wanted_extras)]
            if requirement.marker and not any(requirement.marker.evaluate(env) for env in environments):
                continue
            child = canonicalize_name(requirement.name)
            if child not in seen:
                seen.add(child)
                todo.append((child, tuple(requirement.extras)))
    return seen


def test_every_needed_distribution_is_pinned():
    unpinned = sorted(needed() - set(pins()))
    assert not unpinned, f"not in constraints.txt: {unpinned}"
    assert {"torch", "numpy", "music21", "scipy", "lightning"} <= needed()


def test_the_environment_holds_the_pinned_versions():
    drifted = {}
    for name in needed():
        try:
            installed = Version(distribution(name).version)
        except PackageNotFoundError:
            drifted[name] = "missing"
            continue
        if installed.public != pins()[name].public:
            drifted[name] = f"{installed} installed, {pins()[name]} pinned"
    assert not drifted, f"run scripts/setup.sh: {drifted}"


def test_pins_have_no_dead_entries():
    """A pin nothing needs is a package someone added by hand: it would be installed into every venv."""
    extra = sorted(set(pins()) - needed())
    assert not extra, f"pinned but not needed by deepchorale[dev]: {extra}"
