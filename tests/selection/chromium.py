"""Open a page in Debian's headless Chromium and report how its media loaded.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages,
each ended by a NUL byte, read from fd 3 and written to fd 4), not `--dump-dom`: the dump happens at
the load event, which does not wait for audio metadata, so it would race. Here the page is loaded,
then a script awaits every <audio>'s `loadedmetadata` and every <img>'s load before it reports.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--remote-debugging-pipe",
]
# Every <audio> with its duration and error, every <img> with its natural width, once all have
# loaded or failed (or after 20 s, so a stuck element fails the test instead of hanging it).
MEDIA_STATE = """
(async () => {
  const audios = [...document.querySelectorAll('audio')];
  const images = [...document.images];
  const settled = (element, events) =>
    new Promise(ok => events.forEach(e => element.addEventListener(e, ok)));
  const waits = [
    ...audios.filter(a => a.readyState < 1 && !a.error).map(a => settled(a, ['loadedmetadata', 'error'])),
    ...images.filter(i => !i.complete).map(i => settled(i, ['load', 'error'])),
  ];
  await Promise.race([Promise.all(waits), new Promise(ok => setTimeout(ok, 20000))]);
  return {
    audio: audios.map(a =>
      ({src: a.getAttribute('src'), duration: a.duration, error: a.error && a.error.code})),
    images: images.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth, complete: i.complete})),
  };
})()
"""


class Browser:
    def __init__(self, user_data_dir: Path, timeout: float = 60.0):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # Bash (dash takes no fd above 9) puts the pipe ends on the fds Chromium expects (3: commands
        # in, 4: replies out); moved above 10 first, so neither end already sits on 3 or 4 (pytest's
        # output capture holds low fds).
        to_browser_read, from_browser_write = (
            self._above_ten(fd) for fd in (to_browser_read, from_browser_write)
        )
        command = [
            "bash", "-c", f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}',
            str(CHROMIUM), *FLAGS, f"--user-data-dir={user_data_dir}",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=(user_data_dir.parent / "chromium.log").open("wb"),  # for a failing test's reader
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.timeout, self._buffer, self._next_id, self.events = timeout, b"", 0, []

    @staticmethod
    def _above_ten(fd: int) -> int:
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return moved

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self._from_browser, 1 << 16) if ready else b""
            if not chunk:
                raise TimeoutError("Chromium did not answer in time (or exited)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply["result"]

    def wait_for(self, event: str, session: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for index, seen in enumerate(self.events):
                if seen.get("method") == event and seen.get("sessionId") == session:
                    return self.events.pop(index)
            self.events.append(self._receive(deadline))

    def media_state(self, page: Path) -> dict:
        """Load `page` (a file, no server) and return MEDIA_STATE's report of its audio and images."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        self.wait_for("Page.loadEventFired", session)
        options = {"expression": MEDIA_STATE, "awaitPromise": True, "returnByValue": True}
        return self.send("Runtime.evaluate", options, session=session)["result"]["value"]

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, RuntimeError):  # it may be gone already
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
