"""The preview's web server: ``_book/`` on 127.0.0.1, with a live-reload channel.

Every HTML page it serves gets one script (``/__preview__/reload.js``) before
``</body>``; the page then listens to ``/__preview__/events`` (Server-Sent
Events). After a good build the server sends ``reload`` and the page reloads
itself; after a failed one it sends ``problem`` with the build's message, which
the page shows over the last good page (``_book/`` is never replaced by a failed
build, so that page stays up), naming the file and line. ``/__preview__/state``
answers the same as JSON, for a page opened between two events and for tests.

The files on disk are never changed: the script is added on the way out.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PREFIX = "/__preview__/"
RELOAD_JS = r"""(function () {
  "use strict";
  var box = null;
  function show(text) {
    if (!box) {
      box = document.createElement("div");
      box.id = "briefing-preview-problem";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:9999;" +
        "margin:0;padding:1rem 1.25rem;background:#fff4f0;color:#5a1a08;border-top:3px solid #b8401a;" +
        "font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 -2px 8px rgba(0,0,0,.15)";
      document.body.appendChild(box);
    }
    box.textContent = "The last build failed; this is the last good page.\n\n" + text;
  }
  function hide() { if (box) { box.remove(); box = null; } }
  var seen = null;
  function apply(state) {
    if (seen !== null && state.generation !== seen && !state.problem) { location.reload(); return; }
    seen = state.generation;
    if (state.problem) { show(state.problem); } else { hide(); }
  }
  fetch("/__preview__/state").then(function (r) { return r.json(); }).then(apply).catch(function () {});
  if (window.EventSource) {
    var events = new EventSource("/__preview__/events");
    events.onmessage = function (e) { apply(JSON.parse(e.data)); };
  }
})();
"""
TAG = b'<script src="/__preview__/reload.js"></script>\n'


class State:
    """What the preview shows: a generation counter, bumped by each good build, and the last problem."""

    def __init__(self):
        self.generation = 0
        self.problem: str | None = None
        self.changed = threading.Condition()

    def snapshot(self) -> dict:
        with self.changed:
            return {"generation": self.generation, "problem": self.problem}

    def built(self) -> None:
        with self.changed:
            self.generation += 1
            self.problem = None
            self.changed.notify_all()

    def failed(self, problem: str) -> None:
        with self.changed:
            self.problem = problem
            self.changed.notify_all()

    def wait(self, seen: dict, timeout: float) -> dict:
        with self.changed:
            self.changed.wait_for(lambda: {"generation": self.generation, "problem": self.problem} != seen, timeout)
            return {"generation": self.generation, "problem": self.problem}


def make_handler(holder, state: State, stopping: threading.Event):
    """The request handler; ``holder.folder`` is the folder served, read on every request (it follows
    an ``output-dir`` change)."""
    class Handler(BaseHTTPRequestHandler):
        server_version = "briefing-preview"

        def log_message(self, format, *args):  # the terminal shows builds, not requests
            pass

        def _host_ok(self) -> bool:
            """Only this machine's own names for this server: a page on another name (DNS rebinding)
            must not read the draft or its state."""
            port = self.server.server_address[1]
            return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

        def do_HEAD(self):
            self._head_only = True
            try:
                self.do_GET()
            finally:
                self._head_only = False

        def do_GET(self):
            if not self._host_ok():
                return self._send(b"this preview answers only 127.0.0.1 and localhost on its port\n",
                                  "text/plain; charset=utf-8", HTTPStatus.MISDIRECTED_REQUEST)
            path = urllib.parse.urlsplit(self.path).path
            if path == PREFIX + "reload.js":
                return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
            if path == PREFIX + "state":
                return self._send(json.dumps(state.snapshot()).encode(), "application/json")
            if path == PREFIX + "events":
                return self._events()
            return self._file(path)

        def _send(self, body: bytes, kind: str, status=HTTPStatus.OK):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not getattr(self, "_head_only", False):
                self.wfile.write(body)

        def _file(self, path: str):
            folder = holder.folder
            try:
                rel = posixpath.normpath(urllib.parse.unquote(path, errors="strict")).lstrip("/")
                if rel in ("", "."):
                    rel = "index.html"
                if "\0" in rel:
                    raise ValueError(rel)
                target = (folder / rel).resolve()
                if target.is_dir():
                    target = target / "index.html"
                base = folder.resolve()
                found = (base in target.parents or target == base) and target.is_file()
                body = target.read_bytes() if found else None
            except (OSError, ValueError):
                body = None
            if body is None:
                return self._send(b"not found\n", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind == "text/html":
                at = body.rfind(b"</body>")
                body = body[:at] + TAG + body[at:] if at >= 0 else body + TAG
                kind = "text/html; charset=utf-8"
            self._send(body, kind)

        def _events(self):
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = state.snapshot()
            try:
                self.wfile.write(f"retry: 500\ndata: {json.dumps(seen)}\n\n".encode())
                self.wfile.flush()
                while not stopping.is_set():
                    now = state.wait(seen, timeout=1.0)
                    if now != seen:
                        seen = now
                        self.wfile.write(f"data: {json.dumps(now)}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


class PreviewServer:
    """A threaded HTTP server on 127.0.0.1 (``port`` 0: a free one), serving ``folder``."""

    def __init__(self, folder: Path, state: State, port: int = 0):
        self.stopping = threading.Event()
        ThreadingHTTPServer.allow_reuse_address = True
        self.folder = Path(folder)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self, state, self.stopping))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="briefing-preview-http", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
