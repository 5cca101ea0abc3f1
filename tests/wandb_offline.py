"""Reading offline W&B runs in tests: what a job logged and how its run was closed.

wandb 0.31 keeps no Python reader for its own log, and `wandb sync` needs a server; this reads the
LevelDB log framing (github.com/google/leveldb, doc/log_format.md) and wandb's protobuf records, so
the tests check real offline runs with no network.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

LOG_BLOCK = 32768  # the .wandb file is a LevelDB-format log: 32 KiB blocks of framed records
RECORD_HEADER = struct.Struct("<IHB")  # crc32, length, kind (1 full, 2 first, 3 middle, 4 last)


def offline_records(run_dir: str | Path) -> Iterator:
    """The records (protobuf `Record`s) of an offline W&B run, read from its `run-<id>.wandb`.

    wandb 0.31 keeps no Python reader for its own log, and `wandb sync` needs a server; this reads
    the LevelDB log framing (github.com/google/leveldb, doc/log_format.md) and wandb's protobuf
    records, so offline runs can be checked and ranked with no network.
    """
    from wandb.proto import wandb_internal_pb2

    (path,) = Path(run_dir).glob("run-*.wandb")
    data = path.read_bytes()
    position, payloads, pending = 7, [], b""  # past the file header: ":W&B", magic, version
    while position + RECORD_HEADER.size <= len(data):
        left_in_block = LOG_BLOCK - position % LOG_BLOCK
        if left_in_block < RECORD_HEADER.size:
            position += left_in_block  # a block's zero-filled trailer
            continue
        _, length, kind = RECORD_HEADER.unpack_from(data, position)
        chunk = data[position + RECORD_HEADER.size : position + RECORD_HEADER.size + length]
        position += RECORD_HEADER.size + length
        if kind in (1, 2):
            pending = chunk
        elif kind in (3, 4):
            pending += chunk
        if kind in (1, 4):
            payloads.append(pending)
    for payload in payloads:
        yield wandb_internal_pb2.Record.FromString(payload)


def offline_history(run_dir: str | Path) -> list[dict]:
    """The logged rows (`wandb.log` calls) of an offline W&B run."""
    return [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
        for record in offline_records(run_dir)
        if record.WhichOneof("record_type") == "history"
    ]


def offline_exit_code(run_dir: str | Path) -> int | None:
    """The exit code an offline W&B run was finished with (non-zero: failed); None while it is open."""
    exits = [record.exit for record in offline_records(run_dir) if record.WhichOneof("record_type") == "exit"]
    return exits[-1].exit_code if exits else None
