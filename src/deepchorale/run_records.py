"""A run's record: the `results.json` every app leaves in its run dir, and the one way to read it.

`hydra_app` writes it for every app (compose, train, evaluate, a search trial). search reads a
trial's to find its objective and select ranks runs by a key of theirs, both through this module,
so a key that a search can optimise is a key that select can rank by, naming the same number.

A key is a dotted path into nested figures, but the figures' own names hold dots and slashes
(`val/loss`; `test.test/nll_note` is `test/nll_note` inside `test`; a parameter `model.optimizer.lr`),
so at each level the longest prefix that names an entry wins.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from deepchorale.atomic import write_json

RESULTS = "results.json"
CONFIG_ECHO = "settings"  # compose and select echo their whole config here: settings, not figures


class RecordError(ValueError):
    """A results.json that holds no figures: not valid JSON, not a JSON object, or one no reader
    should walk (an integer no float holds, nesting deeper than `MAX_DEPTH`)."""


MAX_DIGITS = 300  # a float holds no larger integer (1.8e308), and Python parses 4,300 digits at most
MAX_DEPTH = 64  # records nest 4 deep; figures() and lookup() recurse, so a deeper one is refused


def write_results(folder: str | Path, results: dict) -> Path:
    return write_json(Path(folder) / RESULTS, results)


def bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise RecordError(f"{RESULTS} holds an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def depth(value) -> int:
    """How deep lists and dicts nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack += [(child, level + 1) for child in children]
    return deepest


def read_results(folder: str | Path) -> dict:
    """The run's record; FileNotFoundError when it has none (failed, or not finished), RecordError
    when it cannot be read as one."""
    try:
        results = json.loads((Path(folder) / RESULTS).read_text(), parse_int=bounded_int)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RecordError(f"{RESULTS} is not valid JSON") from None
    except RecursionError:  # json's parser recurses: a record nested a thousand deep
        raise RecordError(f"{RESULTS} is nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(results, dict):
        raise RecordError(f"{RESULTS} does not hold an object")
    if depth(results) > MAX_DEPTH:
        raise RecordError(f"{RESULTS} is nested deeper than {MAX_DEPTH} levels")
    return results


def lookup(results: dict, key: str):
    """The value at a dotted key; KeyError when none. `metrics.empty_bar_rate/all` and
    `params.model.optimizer.lr` reach into nested entries whose names hold slashes and dots."""
    if key in results:
        return results[key]
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        if isinstance(results.get(head), dict):
            return lookup(results[head], rest)
    raise KeyError(key)


def as_number(value) -> float | None:
    """A figure as a float; None for what is no figure (absent, a bool, text, NaN or infinite)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def figures(results: dict, prefix: str = "") -> dict[str, float]:
    """Every number of a record by the dotted key that `lookup` reads it at: what a criterion or an
    objective may name, and what a trial's W&B summary shows."""
    found = {}
    for key, value in results.items():
        if isinstance(value, dict) and key != CONFIG_ECHO:
            found |= figures(value, f"{prefix}{key}.")
        elif as_number(value) is not None:
            found[prefix + key] = as_number(value)
    return found


# File names stop at 255 bytes on most file systems; the bundle's files add their suffixes to its name
# (`.musicxml`) and, while written, a temporary prefix and suffix (atomic.py).
MAX_BUNDLE_NAME = 200


class BundleNameError(ValueError):
    """A bundle name too long to be a file name."""


def bundle_name(fullname: str, company: str, genre: str) -> str:
    """`<fullname>-<company>-<genre>`, as DeepComposer's submissions are named: each part lower-cased,
    runs of other characters one dash. compose names its track folder so, and select its export."""
    parts = (fullname, company, genre)
    name = "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts)
    if len(name) > MAX_BUNDLE_NAME:
        raise BundleNameError(
            f"bundle name {name[:40]}... is {len(name)} characters; at most {MAX_BUNDLE_NAME} "
            "(bundle.fullname, bundle.company and bundle.genre together)"
        )
    return name
