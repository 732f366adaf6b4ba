"""The command line: list tasks, run one or a JSONL batch, serve the app. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from playground.core.errors import InputError, PlaygroundError
from playground.core.logs import configure_logging
from playground.core.secrets import user_message
from playground.engines.catalogue import LLM_ENGINES, ModelRef
from playground.engines.pool import POOL
from playground.frontends.cli_eval import add_eval_parsers
from playground.frontends.cli_models import BASE_URL_HELP, add_models_parser
from playground.runtime.registry import get_task
from playground.service import api
from playground.service.formatting import format_output
from playground.text.textio import parse_param, read_rows, read_text_file, texts_from_file

TASK_COMMANDS = ("run", "rerun", "eval", "report", "index")  # the commands that load models for a task


@contextmanager
def load_status(ref: ModelRef) -> Iterator[None]:
    """On a terminal, a line on stderr while a model loads: its name and engine, then the seconds it took."""
    err = sys.stderr
    if not err.isatty():  # a file or a pipe gets the results alone
        yield
        return
    start = time.perf_counter()
    err.write(f"\r\x1b[Kloading {ref.name} ({ref.engine})… ")  # \r and erase: over a progress bar, redrawn below
    err.flush()
    try:
        yield
    except BaseException:
        err.write("failed\n")
        raise
    err.write(f"{time.perf_counter() - start:.1f} s\n")


def cmd_tasks(args: argparse.Namespace, out: TextIO) -> int:
    tasks = api.list_tasks()
    if args.json:
        print(json.dumps(tasks, ensure_ascii=False, indent=2), file=out)
        return 0
    width = max(len(t["name"]) for t in tasks)
    for t in tasks:
        inputs = ", ".join(i["name"] + ("" if i["required"] else "?") for i in t["inputs"])
        model = t["default_model"] or t["embedder"]
        print(f"{t['name']:<{width}}  {t['title']} [{model}] ({inputs})", file=out)
    return 0


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    spec = get_task(args.task)
    arguments: dict[str, Any] = dict(parse_param(p) for p in args.param)
    models = {"model": args.model, "engine": args.engine, "embedder": args.embedder, "base_url": args.base_url}
    if args.input:
        if not args.output:
            raise InputError("--input needs --output for the results")
        return run_batch(spec.name, Path(args.input), Path(args.output), arguments, models, resume=args.resume)
    if args.resume:
        raise InputError("--resume needs --input and --output")
    if args.texts_file:
        if spec.main_input.kind != "texts":
            raise InputError(f"--texts-file gives a list of texts; {spec.name} takes one text (use --text or stdin)")
        arguments[spec.main_input.name] = texts_from_file(args.texts_file)
    elif args.text:
        main = spec.main_input
        arguments[main.name] = args.text if main.kind == "texts" and len(args.text) > 1 else args.text[0]
    elif spec.main_input.name not in arguments and not sys.stdin.isatty():
        arguments[spec.main_input.name] = sys.stdin.read()
    if args.template:
        arguments["template"] = read_templates(args.template)
    if args.compare:
        if args.record:
            raise InputError("--record keeps one run; leave out --compare")
        variants = [dict([parse_param(change)]) for change in args.compare]  # one variant per --compare
        return print_comparison(api.compare(spec.name, variants, **models, **arguments), variants, args.json, out)
    results = _results(spec.name, arguments, models, args)
    if args.json:
        *_, result = results  # the final result
        print(result.to_json(), file=out)
        return keep_record(result, args.record)
    shown = ""  # streamed text already printed
    # Stream to a terminal only: a task may replace its first draft (a reranked candidate), and a file or a pipe
    # should hold the final text alone.
    live = spec.display == "text" and out.isatty()
    for result in results:
        if live and not result.done:
            text = format_output(spec.display, result.output)
            if text.startswith(shown):
                out.write(text[len(shown) :])
                out.flush()
                shown = text
    final = format_output(spec.display, result.output, spec.checked)
    if shown and final.startswith(shown):
        out.write(final[len(shown) :] + "\n")
    else:
        print(("\n" if shown else "") + final, file=out)
    scorer = f", scored by {result.scorer}" if result.scorer else ""
    print(f"[{summary(result)}{scorer}]", file=sys.stderr)
    return keep_record(result, args.record)


def _results(task: str, arguments: dict[str, Any], models: dict[str, Any], args: argparse.Namespace
             ) -> Iterator[api.Result]:  # fmt: skip
    """The run's results: from the running app when there is one and the run can go there, else from here."""
    from playground.frontends import warm

    local = args.local or args.record or isinstance(arguments.get("template"), dict)
    url = None if local or not warm.sendable(arguments, models) else warm.running_app()
    if url is None:
        return api.stream(task, **models, **arguments)
    print(f"[sent to the app at {url}, whose models are loaded; --local runs it here]", file=sys.stderr)
    return warm.remote_stream(url, task, arguments, models)


def summary(result: api.Result) -> str:
    """Model, engine, time and speed of a result, on one line."""
    t = result.timings
    speed = f", {t['tokens_per_s']} tok/s" if t["tokens_per_s"] else ""
    return f"{result.model} on {result.engine}: {t['total_s']} s{speed}"


def read_templates(values: Sequence[str]) -> str | dict[str, str]:
    """--template FILE (the task's template) or --template NAME=FILE, repeated: the edited texts."""
    named: dict[str, str] = {}
    for value in values:
        name, sep, path = value.rpartition("=") if "=" in value else ("", "", value)
        text = read_text_file(Path(path))
        if not sep:
            if len(values) > 1:
                raise InputError("with several --template, name each: --template NAME=FILE")
            return text
        named[name] = text
    return named


def keep_record(result: api.Result, path: str | None) -> int:
    """Write the run record when --record asked for one."""
    if path:
        from playground.service import records

        records.write_record(Path(path), records.make_record(result))
        print(f"run record -> {path}", file=sys.stderr)
    return 0


def print_comparison(results: Sequence[api.Result], variants: Sequence[dict[str, Any]], as_json: bool,
                     out: TextIO) -> int:  # fmt: skip
    """The base run and each variant: a JSON list, or one after another with what differs named."""
    if as_json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False), file=out)
        return 0
    for result, variant in zip(results, [{}, *variants], strict=True):
        changes = ", ".join(f"{k}={v}" for k, v in variant.items()) or "the base configuration"
        print(f"== {changes} ({summary(result)})", file=out)
        print(plain(result), file=out)
    return 0


def plain(result: api.Result) -> str:
    """A result's output as plain text, its flagged spans marked."""
    spec = get_task(result.task)
    return format_output(spec.display, result.output, spec.checked)


def cmd_rerun(args: argparse.Namespace, out: TextIO) -> int:
    """Replay a run record; exit 0 when the output is the recorded one, 1 when it differs."""
    from playground.service import records

    record = records.read_record(Path(args.record))
    result, notes = records.rerun(record)
    print(result.to_json() if args.json else plain(result), file=out)
    for note in notes:
        print(f"[{note}]", file=sys.stderr)
    return 0 if notes[-1] == "the output is the recorded one" else 1


def run_batch(
    task: str, source: Path, target: Path, arguments: dict[str, Any], models: dict[str, Any], resume: bool = False
) -> int:
    """Run a JSONL or CSV file through a task, writing one result or error line per input row."""
    from tqdm import tqdm

    from playground.service import batch

    rows = read_rows(source)

    def bar(items: Iterator[api.BatchItem], total: int) -> Iterable[api.BatchItem]:
        return tqdm(items, total=total, desc=task, unit="row", file=sys.stderr)

    summary, _ = batch.run_file(task, rows, target, resume=resume, progress=bar, **models, **arguments)
    print(f"{summary.line()} -> {target}", file=sys.stderr)
    return 1 if summary.failed else 0


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from playground.frontends.ui import launch

    launch(host=args.host, port=args.port, share=args.share, mcp_server=args.mcp or None)
    return 0


def cmd_index(args: argparse.Namespace, out: TextIO) -> int:
    """index add NAME FILE... / index ls [NAME] / index rm NAME [DOC...]"""
    from tqdm import tqdm

    from playground.documents.indexing import add_files
    from playground.documents.store import default_store

    store = default_store()
    if args.action == "ls":
        if args.name is None:
            for name in store.names():
                files = store.files(name)
                print(f"{name}  {len(files)} documents, {sum(f.chunks for f in files)} chunks", file=out)
            return 0
        for info in store.files(args.name):
            print(f"{info.doc}  {info.chunks} chunks, {info.chars} characters, sha256 {info.sha256[:12]}", file=out)
        return 0
    if args.name is None:
        raise InputError(f"index {args.action} needs a collection name")
    if args.action == "rm":
        removed = store.remove(args.name, args.files)
        print(f"removed: {', '.join(removed)}", file=sys.stderr)
        return 0
    if not args.files:
        raise InputError("index add needs at least one file")
    with tqdm(desc=f"embedding into {args.name}", unit="chunk", file=sys.stderr) as bar:
        report = add_files(args.name, [Path(f) for f in args.files], embedder=args.embedder, base_url=args.base_url,
                           store=store, progress=bar.update)  # fmt: skip
    for line in report.lines():
        print(line, file=sys.stderr)
    return 1 if report.failed else 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what the engine does (-vv: also the native libraries' own messages)")  # fmt: skip
    parser = argparse.ArgumentParser(prog="nlp-playground", description="Try NLP tasks on small local models.")
    sub = parser.add_subparsers(dest="command", required=True)

    tasks = sub.add_parser("tasks", parents=[common], help="list the tasks and their inputs")
    tasks.add_argument("--json", action="store_true", help="print the task schemas as JSON")
    tasks.set_defaults(func=cmd_tasks)

    run = sub.add_parser("run", parents=[common], help="run a task on a text or on a JSONL file")
    run.add_argument("task")
    run.add_argument("--text", action="append", help="the task's main text (repeat it for a list of texts)")
    run.add_argument("--texts-file", metavar="FILE",
                     help="a list of texts (clustering, duplicates): a .txt file, one per line, or a .csv file's "
                     "text column")  # fmt: skip
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another input or a generation parameter; VALUE is read as JSON when it parses",
    )
    run.add_argument("--model", help="a preset (smollm2-135m, gemma3-270m), a local path or a hub id")
    run.add_argument("--engine", choices=LLM_ENGINES, help="openai: the model runs on an OpenAI-compatible server")
    run.add_argument("--embedder", help="the sentence embedder (default minilm-l6-v2; openai:NAME for a server's)")
    run.add_argument("--base-url", help=BASE_URL_HELP)
    run.add_argument("--json", action="store_true", help="print one JSON object: task, output, model, timings")
    run.add_argument(
        "--input", help="a JSONL file of inputs, one object per line (optional id), or a CSV with a header"
    )
    run.add_argument("--output", help="where to write the JSONL results of --input (one line per input row)")
    run.add_argument("--resume", action="store_true",
                     help="keep the results in --output and run only the rows whose id is not there")  # fmt: skip
    run.add_argument("--compare", action="append", default=[], metavar="KEY=VALUE",
                     help="also run a variant with this change (model=..., temperature=..., method=...); "
                     "repeat for more variants")  # fmt: skip
    run.add_argument("--template", action="append", default=[], metavar="[NAME=]FILE",
                     help="a Jinja file replacing the task's prompt template for this run")  # fmt: skip
    run.add_argument("--record", metavar="FILE", help="write the run record (for `nlp-playground rerun`) here")
    run.add_argument(
        "--local", action="store_true", help="load the models here even when an app is running (NLP_PLAYGROUND_URL)"
    )
    run.set_defaults(func=cmd_run)

    again = sub.add_parser("rerun", parents=[common], help="replay a run record and say if the output is the same")
    again.add_argument("record", help="a file written by `run --record`")
    again.add_argument("--json", action="store_true", help="print the new result as JSON")
    again.set_defaults(func=cmd_rerun)

    add_eval_parsers(sub, common)

    serve = sub.add_parser("serve", parents=[common], help="launch the web app")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--share", action="store_true")
    serve.add_argument("--mcp", action="store_true", help="also serve every task as an MCP tool (/gradio_api/mcp/)")
    serve.set_defaults(func=cmd_serve)

    index = sub.add_parser("index", parents=[common], help="document collections for search, qa and duplicates")
    index.add_argument("action", choices=["add", "ls", "rm"], help="add files, list collections (or a collection's "
                       "documents), remove documents (or the whole collection)")  # fmt: skip
    index.add_argument("name", nargs="?", help="the collection")
    index.add_argument("files", nargs="*", metavar="FILE", help="add: txt, md, html, pdf, docx or jsonl files; "
                       "rm: document names (none: the whole collection)")  # fmt: skip
    index.add_argument("--embedder", help="the embedder (default minilm-l6-v2; openai:NAME for a server's)")
    index.add_argument("--base-url", help=BASE_URL_HELP)
    index.set_defaults(func=cmd_index)

    add_models_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    if args.command in TASK_COMMANDS:
        POOL.on_load = load_status
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show a character gets an escape, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return int(args.func(args, sys.stdout))
    except PlaygroundError as exc:
        print(f"error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
