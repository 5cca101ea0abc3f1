"""One Optuna study shared by any number of workers: storage, stale trials, counts, the table.

Storage: a journal file by default (one host, many processes: Optuna's JournalFileBackend appends
under a file lock), an RDB URL (`postgresql://...`) for several nodes. Optuna's JournalStorage has
no heartbeat, so workers keep their own: while a trial runs, its worker stamps the trial's
`heartbeat` user attribute. A RUNNING trial lost its worker (killed, requeued, node gone) when
that worker's process no longer exists on this host, or when its stamp is older than
`stale_after` seconds; it is marked FAIL (`stale`) with its parameters queued again, so a killed
search resumes with no finished trial lost and the interrupted one re-run.

A worker killed while appending to the journal leaves its last record torn (no newline). Optuna
skips such a tail, but the next record is appended onto it, and from then on the journal holds a
line that is no record and every start fails. So the journal is mended before it is opened, under
Optuna's own lock: a torn tail is cut off, and a torn record with a whole one appended onto it (a
journal broken before this mending existed) keeps the whole one; each repair is said in one line.
A line that is neither is refused in one line naming the file and the line.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from optuna.trial import TrialState

# A trial process's exit status when its pruner stopped it (`search/pruning.py`); distinct from a
# crash (1) and from bad input (2). Here, not beside the pruning callback: the worker reads it, and
# must not load Lightning for that.
PRUNED_EXIT = 75  # EX_TEMPFAIL


class StudyError(ValueError):
    """A study that this search cannot join (e.g. it exists with the other direction)."""


FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def storage_spec(storage: str | None, study_dir: Path) -> str:
    """What workers and trial processes open: an RDB URL, or a journal file's absolute path."""
    if storage and "://" in storage:
        return storage
    return str(Path(storage or study_dir / "journal.log").resolve())


RECORD_START = b'{"op_code"'  # how Optuna writes every journal record


def mended_line(line: bytes) -> bytes | None:
    """A journal line as a whole record: itself, or the whole record appended onto a torn one."""

    def whole(text: bytes) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    if whole(line):
        return line
    start = line.rfind(RECORD_START)
    return line[start:] if start > 0 and whole(line[start:]) else None


def mend_journal(path: Path) -> list[str]:
    """Cut a torn last record off the journal and unglue whole records from torn ones, holding
    Optuna's lock; returns what was mended. StudyError for a line that is no record at all."""
    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()
    try:
        data = path.read_bytes()
        body, _, tail = data.rpartition(b"\n")
        lines = body.split(b"\n") if body else []
        notes = (
            [f"cut off a torn last record ({len(tail)} bytes: a worker stopped mid-write)"] if tail else []
        )
        for number, line in enumerate(lines, start=1):
            mended = mended_line(line)
            if mended is None:
                raise StudyError(
                    f"{path} line {number} is no journal record; "
                    "remove that line to keep the rest of the study"
                )
            if mended is not line:
                lines[number - 1] = mended
                notes.append(f"line {number}: dropped a torn record that a later one was written onto")
        if notes:
            mended_journal = b"".join(line + b"\n" for line in lines)
            with open(path, "r+b") as journal:  # in place: other workers hold the file open
                journal.write(mended_journal)
                journal.truncate()
                journal.flush()
                os.fsync(journal.fileno())
        return notes
    finally:
        lock.release()


def open_storage(spec: str) -> BaseStorage:
    if "://" in spec:
        return RDBStorage(spec)
    path = Path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        for note in mend_journal(path):
            print(f"{path}: {note}", file=sys.stderr)
    return JournalStorage(JournalFileBackend(spec))


def open_study(name: str, spec: str, direction: str, sampler=None, pruner=None) -> optuna.Study:
    """Create the study, or join it when another worker (or an earlier, killed run) made it."""
    study = optuna.create_study(study_name=name, storage=open_storage(spec), direction=direction,
                                sampler=sampler, pruner=pruner, load_if_exists=True)  # fmt: skip
    if study.direction.name.lower() != direction:
        existing = study.direction.name.lower()
        raise StudyError(f"study {name} in {spec} exists with direction {existing}, not {direction}")
    return study


def claim(trial: optuna.Trial) -> None:
    """Note which worker runs the trial, so a worker on the same host can tell when it is gone."""
    trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": os.getpid()})


def worker_gone(trial: optuna.trial.FrozenTrial) -> bool:
    worker = trial.user_attrs.get("worker", {})
    if worker.get("host") != socket.gethostname():
        return False  # another node's worker: only its heartbeat can tell
    try:
        os.kill(worker["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def fail_stale_trials(study: optuna.Study, stale_after: float) -> list[int]:
    """Mark RUNNING trials whose worker is gone as FAIL; queue their parameters again.

    Another worker may race for the same stale trial: Optuna refuses the second `tell`, so each
    stale trial is retried once."""
    failed = []
    now = time.time()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        stamp = trial.user_attrs.get("heartbeat", trial.datetime_start.timestamp())
        if now - stamp < stale_after and not worker_gone(trial):
            continue
        try:
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=False)
        except (RuntimeError, ValueError):
            continue  # another worker got there first
        study.set_user_attr(f"stale/{trial.number}", True)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
        failed.append(trial.number)
    return failed


def stale_numbers(study: optuna.Study) -> set[int]:
    return {int(key.split("/")[1]) for key in study.user_attrs if key.startswith("stale/")}


def running(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def budget_used(study: optuna.Study) -> int:
    """Trials that count against `n_trials`: finished ones (a stale one's retry stands in for it)
    and running ones, so that workers do not overshoot the study's size."""
    stale = stale_numbers(study)
    trials = study.get_trials(deepcopy=False, states=(*FINISHED, TrialState.RUNNING))
    return sum(trial.number not in stale for trial in trials)


class Heartbeat:
    """Stamps a running trial every `interval` seconds from a thread, while the block runs."""

    def __init__(self, trial: optuna.Trial, interval: float) -> None:
        self.trial, self.interval = trial, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.beat, daemon=True)

    def beat(self) -> None:
        while True:
            self.trial.set_user_attr("heartbeat", time.time())
            if self.stop.wait(self.interval):
                return

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def trial_table(study: optuna.Study) -> list[dict]:
    """Every trial as one plain row: what `select`, campaign tables and reports read."""
    stale = stale_numbers(study)
    return [
        {
            "number": t.number,
            "state": "stale" if t.number in stale else t.state.name.lower(),
            "value": t.value,
            "last_intermediate": t.intermediate_values[max(t.intermediate_values)]
            if t.intermediate_values
            else None,
            "steps_reported": len(t.intermediate_values),
            "params": t.params,
            "run_dir": t.user_attrs.get("run_dir"),
            "seconds": t.user_attrs.get("seconds", {}),
            "error": t.user_attrs.get("error"),
            "retry_of": t.user_attrs.get("retry_of"),
        }
        for t in study.get_trials(deepcopy=False)
    ]


def best_trial(study: optuna.Study) -> dict | None:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return None
    best = study.best_trial
    return {"number": best.number, "value": best.value, "params": best.params,
            "run_dir": best.user_attrs.get("run_dir")}  # fmt: skip


def markdown_table(table: list[dict], objective: str, direction: str) -> str:
    """The trials as a Markdown table, best first; pruned, failed and stale trials after them."""
    sign = -1 if direction == "maximize" else 1
    ranked = sorted(table, key=lambda r: (r["state"] != "complete", sign * (r["value"] or 0), r["number"]))
    names = sorted({name for row in table for name in row["params"]})

    def cell(value) -> str:
        return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)

    lines = [
        "| trial | state | " + " | ".join([objective, *names, "seconds"]) + " |",
        "|---" * (len(names) + 4) + "|",
    ]
    for row in ranked:
        cells = [row["number"], row["state"], row["value"], *(row["params"].get(n) for n in names),
                 row["seconds"].get("process")]  # fmt: skip
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
