"""The command line: list tasks, run one or a JSONL batch, serve the app. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import api
from .errors import InputError, PlaygroundError
from .registry import get_task


def parse_param(text: str) -> tuple[str, Any]:
    """'k=v' -> (k, v), v read as JSON when it parses as JSON, else as the plain string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--param takes key=value, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def read_jsonl(path: Path) -> Iterator[dict[str, Any] | PlaygroundError]:
    """Yield each line's object, or an error for a line that is not a JSON object (the batch goes on)."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputError(f"line {number} is not valid JSON: {exc.msg}")
                continue
            if not isinstance(item, dict):
                yield InputError(f"line {number} must be a JSON object of the task's inputs")
                continue
            yield item


def format_output(display: str, output: dict[str, Any]) -> str:
    """A readable rendering of a task's output for the terminal."""
    if display == "label":
        scores = ", ".join(f"{k} {v:.2f}" for k, v in sorted(output["scores"].items(), key=lambda kv: -kv[1]))
        return f"{output['label']}  ({scores})"
    if display == "edits":
        lines = [output["corrected"]]
        lines += [
            f"  [{e['start']}:{e['end']}] {e['original']!r} -> {e['replacement']!r} ({e['source']})"
            for e in output["edits"]
        ]
        return "\n".join(lines)
    if display == "clusters":
        lines = []
        for c in output["clusters"]:
            lines.append(f"#{c['id']} {c['name']} ({c['size']})")
            lines += [f"  - {m}" for m in c["members"]]
        return "\n".join(lines)
    return api.primary_text(output)


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
    models = {"model": args.model, "engine": args.engine, "embedder": args.embedder}
    if args.input:
        if not args.output:
            raise InputError("--input needs --output for the results")
        return run_batch(spec.name, Path(args.input), Path(args.output), arguments, models)
    if args.text:
        main = spec.main_input
        arguments[main.name] = args.text if main.kind == "texts" and len(args.text) > 1 else args.text[0]
    elif spec.main_input.name not in arguments and not sys.stdin.isatty():
        arguments[spec.main_input.name] = sys.stdin.read()
    if args.json:
        print(api.run(spec.name, **models, **arguments).to_json(), file=out)
        return 0
    shown = ""  # streamed text already printed
    for result in api.stream(spec.name, **models, **arguments):
        if spec.display == "text" and not result.done:
            text = format_output(spec.display, result.output)
            if text.startswith(shown):
                out.write(text[len(shown) :])
                out.flush()
                shown = text
    final = format_output(spec.display, result.output)
    if shown and final.startswith(shown):
        out.write(final[len(shown) :] + "\n")
    else:
        print(("\n" if shown else "") + final, file=out)
    t = result.timings
    speed = f", {t['tokens_per_s']} tok/s" if t["tokens_per_s"] else ""
    print(f"[{result.model} on {result.engine}: {t['total_s']} s{speed}]", file=sys.stderr)
    return 0


def run_batch(task: str, source: Path, target: Path, arguments: dict[str, Any], models: dict[str, Any]) -> int:
    """Run a JSONL file through a task, writing one result or error line per input line."""
    from tqdm import tqdm

    if not source.is_file():
        raise InputError(f"input file not found: {source}")
    total = sum(1 for line in source.open(encoding="utf-8") if line.strip())
    failed = 0
    with target.open("w", encoding="utf-8") as sink:
        items = api.run_batch(task, read_jsonl(source), **models, **arguments)
        for item in tqdm(items, total=total, desc=task, unit="item", file=sys.stderr):
            failed += item.error is not None
            sink.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            sink.flush()
    print(f"{total - failed} ok, {failed} failed -> {target}", file=sys.stderr)
    return 1 if failed else 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    """Score a task on a JSONL set with references; with --compare, a second configuration on the same items."""
    from tqdm import tqdm

    from . import evaluation

    data = Path(args.data)
    rows = evaluation.read_eval_set(data, args.limit)
    base: dict[str, Any] = {k: v for k, v in (("model", args.model), ("engine", args.engine)) if v}
    base.update(parse_param(p) for p in args.param)
    configs = [base]
    if args.compare:
        configs.append({**base, **dict(parse_param(p) for p in args.compare)})
    reports = []
    for number, config in enumerate(configs, 1):
        label = f"{args.task} ({number}/{len(configs)})" if len(configs) > 1 else args.task
        bar = lambda items, label=label: tqdm(items, total=len(rows), desc=label, unit="item", file=sys.stderr)  # noqa: E731
        reports.append(evaluation.evaluate(args.task, rows, config, progress=bar))
    names = [describe(c) for c in configs]
    print(f"{args.task} on {data.name}, {len(rows)} items", file=out)
    print(evaluation.metrics_table(reports, names), file=out)
    target = Path(args.output or f"{data.stem}.{args.task}.results.jsonl")
    for number, report in enumerate(reports):
        path = target if number == 0 else target.with_name(f"{target.stem}.compare{target.suffix}")
        evaluation.write_items(report, path)
        errors = f", {report.errors} failed" if report.errors else ""
        print(f"per-item results: {path}{errors}", file=sys.stderr)
    return 0


def describe(config: dict[str, Any]) -> str:
    """A short column name for a configuration."""
    return ", ".join(f"{k}={v}" for k, v in config.items()) or "defaults"


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    from . import bench

    return bench.main(args.names)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from .ui import launch

    launch(host=args.host, port=args.port, share=args.share)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nlp-playground", description="Try NLP tasks on small local models.")
    sub = parser.add_subparsers(dest="command", required=True)

    tasks = sub.add_parser("tasks", help="list the tasks and their inputs")
    tasks.add_argument("--json", action="store_true", help="print the task schemas as JSON")
    tasks.set_defaults(func=cmd_tasks)

    run = sub.add_parser("run", help="run a task on a text or on a JSONL file")
    run.add_argument("task")
    run.add_argument("--text", action="append", help="the task's main text (repeat it for a list of texts)")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another input or a generation parameter; VALUE is read as JSON when it parses",
    )
    run.add_argument("--model", help="a preset (smollm2-135m, gemma3-270m), a local path or a hub id")
    run.add_argument("--engine", choices=["llama.cpp", "transformers"])
    run.add_argument("--embedder", help="the sentence embedder (default minilm-l6-v2)")
    run.add_argument("--json", action="store_true", help="print one JSON object: task, output, model, timings")
    run.add_argument("--input", help="a JSONL file of inputs, one object per line (optional id)")
    run.add_argument("--output", help="where to write the JSONL results of --input")
    run.set_defaults(func=cmd_run)

    ev = sub.add_parser("eval", help="score a task against the references of a JSONL eval set")
    ev.add_argument("task")
    ev.add_argument("--data", required=True, help="a JSONL eval set (see assets/eval/ and the README)")
    ev.add_argument("--limit", type=int, help="use the first N items")
    ev.add_argument("--model", help="the model to evaluate (default: the task's)")
    ev.add_argument("--engine", choices=["llama.cpp", "transformers"])
    ev.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a generation parameter or task input for every item")  # fmt: skip
    ev.add_argument("--compare", action="append", metavar="KEY=VALUE",
                    help="run a second configuration with these changes (model=..., method=...)")  # fmt: skip
    ev.add_argument("--output", help="per-item results JSONL (default: <data>.<task>.results.jsonl)")
    ev.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="measure speed against a baseline run in the same process")
    bench.add_argument("names", nargs="*", metavar="NAME",
                       help="scoring, engines, cold-start (default: all)")  # fmt: skip
    bench.set_defaults(func=cmd_bench)

    serve = sub.add_parser("serve", help="launch the web app")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--share", action="store_true")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, sys.stdout))
    except PlaygroundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
