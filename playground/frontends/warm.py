"""A command-line run sent to a running app, whose models are already loaded, instead of loading them again.

`nlp-playground serve` writes its address to `<data folder>/app.json` while it runs; `NLP_PLAYGROUND_URL` names
any other app (a remote one, or `python app.py`). The CLI sends a single run there through the task's HTTP
endpoint, the one the page and `gradio_client` use, and gets the same result dictionary back. `--local`, or
`NLP_PLAYGROUND_URL=off`, keeps the run in the process.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from playground.core.errors import InputError, PlaygroundError
from playground.core.resources import data_home
from playground.frontends.ui.helpers import ADVANCED
from playground.frontends.ui.tools import TEMPLATE
from playground.service import api

ADDRESS_FILE = "app.json"
URL_VARIABLE = "NLP_PLAYGROUND_URL"
OFF = ("", "0", "off", "no", "false", "local")
PROBE_SECONDS = 1.0  # an app that does not answer its config page within this is taken as gone
SENDABLE = {*ADVANCED, TEMPLATE}  # the endpoint's parameters besides the task's inputs


def address_file() -> Path:
    return data_home() / ADDRESS_FILE


@contextmanager
def announced(url: str) -> Iterator[None]:
    """While the block runs, the data folder says that this process serves the app at url."""
    path = address_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    except OSError:  # a read-only data folder: the CLI will not find the app, and says nothing is lost
        yield
        return
    try:
        yield
    finally:
        with _quiet():
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()


def _quiet() -> suppress:
    """An unreadable, half-written or vanished address file counts as none."""
    return suppress(OSError, ValueError)


def answers(url: str) -> bool:
    """Whether a Gradio app answers at url now (its config page, within a second)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/config", timeout=PROBE_SECONDS) as response:
            return bool(response.status == 200)
    except (OSError, ValueError, urllib.error.URLError):
        return False


def running_app() -> str | None:
    """The address of the app to send runs to: NLP_PLAYGROUND_URL when set (off: none), else the `serve` whose
    address file names a live process that answers."""
    named = os.environ.get(URL_VARIABLE)
    if named is not None:
        return None if named.strip().lower() in OFF else named.strip()
    path = address_file()
    if not path.is_file():
        return None
    with _quiet():
        found = json.loads(path.read_text(encoding="utf-8"))
        pid, url = int(found["pid"]), str(found["url"])
        os.kill(pid, 0)  # the process is alive (OSError when not)
        return url if answers(url) else None
    return None


def sendable(arguments: Mapping[str, Any], models: Mapping[str, Any]) -> bool:
    """Whether a run can go to the app: it takes no embedder or server of the caller's (the app has its own)."""
    return not models.get("embedder") and not models.get("base_url")


def remote_stream(url: str, task: str, arguments: Mapping[str, Any], models: Mapping[str, Any]) -> Iterator[api.Result]:
    """The task's results from the app at url, partial ones first, as api.stream gives them here."""
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    sent = {**{k: v for k, v in models.items() if v is not None}, **arguments}
    unknown = sorted(set(sent) - SENDABLE - set(_input_names(task)))
    if unknown:
        raise InputError(f"{task} has no input or setting named {unknown[0]!r}")
    try:
        client = Client(url, verbose=False, download_files=False)
        job = client.submit(**sent, api_name=f"/{task}")
        for update in job:
            yield _result(update, done=False)
        yield _result(job.result(), done=True)  # the app's error, if it gave one, is raised here
    except AppError as exc:  # the app's one-line error (gr.Error), as the page shows it
        raise InputError(str(exc).strip() or "the app refused the run") from None
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:  # connection and protocol errors
        raise PlaygroundError(
            f"the app at {url} could not run {task}: {str(exc)[:200]} (run with --local to load the models here)"
        ) from None


def _input_names(task: str) -> list[str]:
    from playground.runtime.registry import get_task

    return [item.name for item in get_task(task).inputs]


def _result(values: Any, done: bool) -> api.Result:
    raw = values[-1] if isinstance(values, list | tuple) else values
    if not isinstance(raw, dict) or "output" not in raw:
        raise PlaygroundError("the app's answer holds no result")
    known = {"task", "output", "model", "engine", "timings", "models", "scorer", "safety", "params", "prompts"}
    known.add("tokens")
    return api.Result(**{k: v for k, v in raw.items() if k in known}, done=done and bool(raw.get("done", True)))
