"""A stand-in for the Hugging Face hub on loopback, for the download tests: model info, and files by HEAD and GET.

It answers what the hub answers to huggingface_hub: `GET /api/models/{repo}` (with `?blobs=true`, each file's size,
git blob id and, for LFS files, SHA-256), and `HEAD`/`GET /{repo}/resolve/{revision}/{file}` with the headers
huggingface_hub reads (`X-Repo-Commit`, `ETag`, `X-Linked-Etag`, `X-Linked-Size`, `Content-Length`,
`Accept-Ranges`), honouring `Range: bytes=N-`. It can drop a download part way, and lie about a checksum.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_SUFFIXES = (".gguf", ".safetensors", ".bin")  # stored in LFS on the hub; small text files are plain git


@functools.cache
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_blob_id(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


@dataclass
class StubFile:
    path: Path
    sha256: str  # what the stand-in reports: the real one unless a test makes it lie

    @property
    def lfs(self) -> bool:
        return self.path.suffix in LFS_SUFFIXES

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else git_blob_id(self.path)


@dataclass
class Hub:
    """The repositories served, what was asked, and the faults to play."""

    repos: dict[str, dict[str, StubFile]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range header)
    cut_after: int | None = None  # the next file GET sends this many bytes, then drops the connection
    refuse_gets: bool = False  # file GETs answer 503 (a hub that went away)
    refuse_after_cut: bool = False  # the cut turns refuse_gets on: the download stops for good
    url: str = ""

    def add(self, repo: str, path: Path, name: str | None = None, sha256: str | None = None) -> None:
        """Serve a file (or every file under a folder) in `repo`; `sha256` makes the stand-in report a wrong one."""
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            relative = file.relative_to(path).as_posix() if path.is_dir() else (name or file.name)
            self.repos.setdefault(repo, {})[relative] = StubFile(file, sha256 or sha256_of(file))

    def gets(self, suffix: str) -> list[str | None]:
        """The Range headers of the GETs of files whose path ends with `suffix`, in order (None: no Range)."""
        return [r for method, path, r in self.requests if method == "GET" and path.endswith(suffix)]


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = self.path.split("?")[0]
            hub.requests.append((self.command, path, self.headers.get("Range")))
            if path.startswith("/api/models/"):
                self._info(path[len("/api/models/") :].split("/revision/")[0])
                return
            repo, sep, rest = path.lstrip("/").partition("/resolve/")
            files = hub.repos.get(repo)
            name = rest.partition("/")[2]
            if not sep or files is None or name not in files:
                self._send(404, {"X-Error-Code": "RepoNotFound" if files is None else "EntryNotFound"}, b"")
                return
            self._file(files[name], body)

        def _info(self, repo: str) -> None:
            if repo not in hub.repos:
                self._send(404, {"X-Error-Code": "RepoNotFound"}, b'{"error": "Repository not found"}')
                return
            siblings = []
            for name, f in hub.repos[repo].items():
                sibling: dict[str, Any] = {"rfilename": name, "size": f.size, "blobId": git_blob_id(f.path)}
                if f.lfs:
                    sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
                siblings.append(sibling)
            data = json.dumps({"id": repo, "modelId": repo, "sha": COMMIT, "siblings": siblings}).encode()
            self._send(200, {"Content-Type": "application/json"}, data)

        def _file(self, f: StubFile, body: bool) -> None:
            if body and hub.refuse_gets:
                self._send(503, {}, b"")
                return
            size = f.size
            start = 0
            headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{f.etag}"', "Accept-Ranges": "bytes"}
            if f.lfs:
                headers |= {"X-Linked-Etag": f'"{f.sha256}"', "X-Linked-Size": str(size)}
            wanted = self.headers.get("Range")
            if body and wanted and wanted.startswith("bytes="):
                start = int(wanted[len("bytes=") :].split("-")[0])
                headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
            headers["Content-Length"] = str(size - start)
            self.send_response(206 if start else 200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if not body:
                return
            limit, hub.cut_after = hub.cut_after, None
            with f.path.open("rb") as data:
                data.seek(start)
                left = size - start if limit is None else min(limit, size - start)
                while left > 0:
                    block = data.read(min(1 << 20, left))
                    self.wfile.write(block)
                    left -= len(block)
            if limit is not None:  # drop the connection part way, as a flaky network does
                hub.refuse_gets = hub.refuse_gets or hub.refuse_after_cut
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()

        def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(data))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


class HubStub:
    """Serve a Hub on a free loopback port until `close()`."""

    def __init__(self) -> None:
        self.hub = Hub()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.hub))
        self.server.daemon_threads = True
        self.hub.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="hub-stub", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
