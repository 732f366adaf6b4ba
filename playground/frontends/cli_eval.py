"""The command line's evaluation commands: eval (a task against a set's references), report and bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from playground.engines.catalogue import LLM_ENGINES
from playground.evaluation.bench import BENCHES
from playground.evaluation.check_eval import NAME as CHECKS
from playground.frontends.cli_models import BASE_URL_HELP
from playground.text.textio import parse_param


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    """Score a task on a JSONL set with references; with --compare, a second configuration on the same items."""
    from tqdm import tqdm

    from playground.evaluation import evaluate as evaluation

    data = Path(args.data)
    rows = evaluation.read_eval_set(data, args.limit, args.split)
    if args.task == CHECKS:
        return eval_checks(args, rows, out)
    base = model_config(args)
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
    split = f" ({args.split} split)" if args.split else ""
    print(f"{args.task} on {data.name}{split}: {evaluation.items_note(len(rows), args.limit, args.split)}", file=out)
    print(evaluation.metrics_table(reports, names), file=out)
    for name, report in zip(names, reports, strict=True):
        worst = ", ".join(f"{i.id} ({'failed' if i.error else f'{i.score:.3g}'})" for i in report.worst(5))
        print(f"{name}: {evaluation.worst_note(report)}" + (f"; the worst: {worst}" if worst else ""), file=out)
    target = Path(args.output or f"{data.stem}.{args.task}.results.jsonl")
    for number, report in enumerate(reports):
        path = target if number == 0 else target.with_name(f"{target.stem}.compare{target.suffix}")
        evaluation.write_items(report, path)
        errors = f", {report.errors} failed" if report.errors else ""
        print(f"per-item results: {path}{errors}", file=sys.stderr)
    return 0


def model_config(args: argparse.Namespace) -> dict[str, Any]:
    """The model, engine and server given on the command line (those that were)."""
    named = (("model", args.model), ("engine", args.engine), ("base_url", args.base_url))
    return {k: v for k, v in named if v}


def eval_checks(args: argparse.Namespace, rows: list[dict[str, Any]], out: TextIO) -> int:
    """Score the checks on a set of recorded outputs with labelled errors: precision and recall by kind."""
    from tqdm import tqdm

    from playground.evaluation import check_eval

    if args.compare or args.param:
        print("eval checks reruns the checks only: --param and --compare do not apply", file=sys.stderr)
        return 2
    config = model_config(args)
    bar = lambda items: tqdm(items, total=len(rows), desc="checks", unit="item", file=sys.stderr)  # noqa: E731
    figures, items = check_eval.evaluate_checks(rows, config=config, progress=bar)
    split = f" ({args.split} split)" if args.split else ""
    print(f"checks on {Path(args.data).name}{split}: {len(items)} recorded outputs", file=out)
    print(check_eval.figures_table(figures), file=out)
    target = Path(args.output or f"{Path(args.data).stem}.checks.results.jsonl")
    check_eval.write_items(items, target)
    failed = sum(1 for i in items if i.error)
    print(f"per-item flags and labels: {target}" + (f", {failed} failed" if failed else ""), file=sys.stderr)
    return 0


def describe(config: dict[str, Any]) -> str:
    """A short column name for a configuration."""
    return ", ".join(f"{k}={v}" for k, v in config.items()) or "defaults"


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    """The model beside a do-nothing baseline on each public set: one Markdown table, printed and written."""
    from tqdm import tqdm

    from playground.evaluation.report import write_report

    bar = lambda label, total: lambda items: tqdm(items, total=total, desc=label, unit="item", file=sys.stderr)  # noqa: E731
    text, failed = write_report(Path(args.output), args.benchmarks, args.split, args.limit, args.task, bar)
    print(text, end="", file=out)
    print(f"report -> {args.output}" + (f", {failed} sets failed" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    from playground.evaluation import bench

    return bench.main(args.names)


def add_eval_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The eval, report and bench subcommands."""
    ev = sub.add_parser("eval", parents=[common], help="score a task against the references of a JSONL eval set")
    ev.add_argument("task", help=f"the task to score, or `{CHECKS}`: the checks on recorded outputs labelled by hand")
    ev.add_argument("--data", required=True, help="a JSONL eval set (see assets/eval/ and docs/quality.md)")
    ev.add_argument("--limit", type=int, help="use the first N items (of the split, with --split)")
    ev.add_argument("--split", choices=["dev", "test"],
                    help="keep the items of this split (items without a `split` field are always kept); "
                    "a set that names no splits is halved: dev is its first half, test the rest")  # fmt: skip
    ev.add_argument("--model", help="the model to evaluate (default: the task's)")
    ev.add_argument("--engine", choices=LLM_ENGINES, help="openai: evaluate a model of an OpenAI-compatible server")
    ev.add_argument("--base-url", help=BASE_URL_HELP)
    ev.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a generation parameter or task input for every item")  # fmt: skip
    ev.add_argument("--compare", action="append", metavar="KEY=VALUE",
                    help="run a second configuration with these changes (model=..., method=...)")  # fmt: skip
    ev.add_argument("--output", help="per-item results JSONL (default: <data>.<task>.results.jsonl)")
    ev.set_defaults(func=cmd_eval)

    rep = sub.add_parser("report", parents=[common], help="the model beside a do-nothing baseline on the public sets")
    rep.add_argument("--benchmarks", metavar="DIR", help="the public sets (default: ../shared/benchmarks)")
    rep.add_argument("--split", choices=["dev", "test"], default="test", help="the half reported (default: test)")
    rep.add_argument("--limit", type=int, help="the first N items of each set")
    rep.add_argument("--task", action="extend", nargs="+", metavar="TASK", help="only these tasks (default: all)")
    rep.add_argument("--output", default="quality-report.md", help="where to write the table")
    rep.set_defaults(func=cmd_report)

    bench = sub.add_parser("bench", parents=[common], help="measure speed against a baseline run in the same process")
    bench.add_argument("names", nargs="*", metavar="NAME",
                       help=f"{', '.join(BENCHES)} (default: all)")  # fmt: skip
    bench.set_defaults(func=cmd_bench)
