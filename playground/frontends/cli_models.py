"""`nlp-playground models`: list the embedded, curated and downloaded models; download and delete bigger ones."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from playground.core.errors import InputError
from playground.core.secrets import user_message
from playground.policy.limits import Policy
from playground.service import downloads

BASE_URL_HELP = "the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (default: $OPENAI_BASE_URL)"
COLUMNS = ("name", "kind", "status", "disk", "memory", "licence", "speed", "about")


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    """The embedded presets, the curated models (downloaded or not), other downloads, the disk used, a server's."""
    from playground.engines.catalogue import base_url_from

    policy = Policy.from_env()
    rows = list(downloads.rows(policy.public, policy.allowed_models))
    used = downloads.disk_used()
    url = base_url_from(args.base_url)
    served: list[str] = []
    if url is not None:
        from playground.engines.remote import served_models

        served = served_models(url)
    if args.json:
        data: dict[str, Any] = {"models": rows, "disk_used": used, "folder": str(downloads.models_dir())}
        print(json.dumps(data | {"served": served}, ensure_ascii=False, indent=2), file=out)
        return 0
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in COLUMNS}
    print("  ".join(c.upper().ljust(widths[c]) for c in COLUMNS).rstrip(), file=out)
    for row in rows:
        print("  ".join(row[c].ljust(widths[c]) for c in COLUMNS).rstrip(), file=out)
    print(f"disk used by downloaded models: {downloads.human(used)} in {downloads.models_dir()}", file=out)
    for name in served:
        print(f"openai:{name}  served by {url}", file=out)
    if url is None:
        print("(download one with `nlp-playground models download NAME`; set OPENAI_BASE_URL or --base-url to list "
              "a server's models)", file=sys.stderr)  # fmt: skip
    return 0


def cmd_download(args: argparse.Namespace, out: TextIO) -> int:
    """Download a curated model, or any hub GGUF file under a name, with a progress bar; resume an unfinished one."""
    from tqdm import tqdm

    if args.file:
        source = downloads.source_for(args.name or Path(args.file).stem.lower(), args.model, args.file)
    elif args.name:
        raise InputError("--name goes with --file: a curated model keeps its name")
    else:
        source = downloads.source_for(args.model)
    here = downloads.read_manifest().get(source.name)
    if here is not None and here.path.exists():
        print(f"{source.name} is downloaded already: {here.path}", file=sys.stderr)
        return 0
    bars: list[tqdm[Any]] = []  # made at the first byte, so a refusal prints its line alone

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(desc=source.name, total=total, unit="B", unit_scale=True, file=sys.stderr))
        bars[0].update(done - bars[0].n)

    stopped: downloads.DownloadError | None = None
    try:
        entry = downloads.download(source, endpoint=args.endpoint, progress=progress)
    except downloads.DownloadError as exc:
        stopped = exc
    finally:
        for bar in bars:
            bar.close()
    if stopped is not None:
        print(f"error: {user_message(stopped)}", file=sys.stderr)
        return 1  # the network's fault, not the command's: the same command resumes
    print(f"{entry.name}: {downloads.human(entry.bytes)}, sha256 {entry.sha256[:12]}… checked -> {entry.path}",
          file=sys.stderr)  # fmt: skip
    option = "--model" if entry.role == "llm" else "--embedder"
    print(f"use it with {option} {entry.name}", file=out)
    return 0


def cmd_delete(args: argparse.Namespace, out: TextIO) -> int:
    """Remove a downloaded model's files and its manifest entry."""
    freed = downloads.delete(args.name)
    print(f"deleted {args.name}: {downloads.human(freed)} freed", file=sys.stderr)
    return 0


def add_models_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `models` (= `models list`), `models download` and `models delete` to the command line."""
    models = sub.add_parser("models", parents=[common], help="list, download and delete models")
    models.add_argument("--base-url", help=BASE_URL_HELP)
    models.add_argument("--json", action="store_true", help="print the listing as JSON")
    models.set_defaults(func=cmd_list)
    actions = models.add_subparsers(dest="action", metavar="{list,download,delete}")

    listing = actions.add_parser("list", parents=[common], help="the embedded, curated and downloaded models, and "
                                 "the disk they use")  # fmt: skip
    # SUPPRESS: `models --json list` keeps the value given before the action.
    listing.add_argument("--base-url", default=argparse.SUPPRESS, help=BASE_URL_HELP)
    listing.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the listing as JSON")
    listing.set_defaults(func=cmd_list)

    get = actions.add_parser("download", parents=[common], help="download a curated model (or a hub GGUF file)")
    get.add_argument("model", metavar="NAME", help="a curated model (see `nlp-playground models`), or a hub "
                     "repository org/name with --file")  # fmt: skip
    get.add_argument("--file", help="the .gguf file of the repository to download")
    get.add_argument("--name", help="the name to use the repository's file by (default: the file's name)")
    get.add_argument("--endpoint", help="the hub to download from (default: $HF_ENDPOINT, else huggingface.co)")
    get.set_defaults(func=cmd_download)

    remove = actions.add_parser("delete", parents=[common], help="delete a downloaded model")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=cmd_delete)
