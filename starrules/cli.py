"""The `starrules` command: check, format, evaluate and explain rubric files."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .api import check_file, family_of, load
from .core.argparse_zh import ChineseArgumentParser
from .core.diagnostic_formats import diagnostics_json, sarif_log
from .core.atomic import Pending, write_text
from .batch.many import Choose, evaluate_batch
from .core.diagnostics import Diagnostic, EvidenceError, RubricCheckError, RubricError, StarrulesError, render_all
from .eval.result import ResultWarning
from .report.explain import explain, ranking_table, table
from .lang.formatter import format_text
from .plan.cohort import within_fact
from .plan.graph_text import FORMATS, render
from .core.limits import DEFAULT
from .lang.loader import read_text
from .check.model import CheckedRubric
from .rubric import Rubric, RubricFamily
from .io.records import BATCH_SUFFIXES, CHUNK_ROWS, COLUMN_SUFFIXES
from .report.output import OUTPUT_SUFFIXES, ResultWriter, count_records
from .report.output_paths import Output, check_not_inputs, check_outputs, suffix_problems, write_failed
from .report.summary import branch_names
from .core.progress import Progress
from .grade.ranking import rank
from .core.numbers import format_decimal
from .check.ranges import Bound, Interval
from .core.reporter import Reporter
from .core.source import display_width

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
BATCH_FILES = (*BATCH_SUFFIXES, *COLUMN_SUFFIXES)


def version() -> str:
    """The installed distribution's version (`starrules --version`, SARIF's tool version)."""
    try:
        return importlib.metadata.version("starrules")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(未安装,版本未知)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        try:
            status = int(args.run(args))
        except _UsageError as exc:
            parser.error(str(exc))
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler
        return status
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C: outputs are only ever replaced whole, so nothing is half written
        print("已中断:没有写完的输出文件都保持原样", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="starrules", description="党支部评分标准(.rubric)的检查、格式化、评分与说明工具")
    parser.add_argument("--version", action="version", version=f"starrules {version()}", help="显示版本号并退出")
    commands = parser.add_subparsers(dest="command", metavar="命令")
    check = commands.add_parser("check", help="检查评分标准文件,报告错误和警告")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--strict", action="store_true", help="有警告时也以失败退出")
    check.add_argument("--range", action="store_true", help="列出每个项目、类型和总分可能的最低分与最高分")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                       help="诊断的格式:text 写到标准错误(默认);json 或 sarif(SARIF 2.1.0)只在标准输出打印一份,"
                            "供编辑器和 CI 读取")
    _root_argument(check)
    check.set_defaults(run=_check)
    fmt = commands.add_parser("fmt", help="把评分标准文件改写为规范格式")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument("--check", action="store_true", help="只检查,不改写;有文件需要改写时以 1 退出")
    fmt.set_defaults(run=_fmt)
    evaluate = commands.add_parser("eval", help="按评分标准给一个党支部打分")
    _rubric_arguments(evaluate)
    evaluate.add_argument("evidence", metavar="EVIDENCE",
                          help="证据文件:.json 一个党支部;.jsonl、.csv 或 .xlsx(starrules template 生成的评分表)"
                               "多个党支部(每条记录要有 id);"
                               ".parquet 多个党支部(与 -o 同用)")
    _scheme_argument(evaluate)
    _year_argument(evaluate)
    evaluate.add_argument("--json", action="store_true", help="只在标准输出打印 JSON 结果(多个党支部时是数组)")
    evaluate.add_argument("-o", "--output", metavar="OUT",
                          help="批量评分:按块读入、评分,把每个党支部的一行结果写入 OUT(.jsonl、.csv 或 .parquet),"
                               "终端上显示进度;全部写完才替换 OUT")
    _force_argument(evaluate)
    evaluate.add_argument("--quiet", action="store_true", help="与 -o 同用:不显示进度和汇总")
    evaluate.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, metavar="N",
                          help="与 -o 同用:每块的行数(默认 65536),内存随它而不随文件大小增长")
    evaluate.add_argument("--engine", choices=("numpy", "duckdb"), default="numpy",
                          help="与 -o 同用:批量引擎,默认 numpy;duckdb 在 DuckDB 中运行编译出的 SQL 查询"
                               "(.parquet 证据,数值列为整数或 DECIMAL;需要 starrules[sql])")
    evaluate.set_defaults(run=_eval)
    why = commands.add_parser("explain", help="逐条说明每一分是怎么得来、怎么扣掉的")
    _rubric_arguments(why)
    why.add_argument("evidence", metavar="EVIDENCE.json")
    _scheme_argument(why)
    why.set_defaults(run=_explain)
    ranking = commands.add_parser("rank", help="按等级方案对一批党支部排名,执行名额和倒排规则")
    _rubric_arguments(ranking)
    ranking.add_argument("batch", metavar="BATCH", help="批量证据文件(.jsonl、.csv 或 .xlsx,每条记录要有 id)")
    ranking.add_argument("--scheme", action="append", metavar="S",
                         help="按这个等级方案排名(可写多次;默认用标准中“等级”一行列出的方案,逐个排名)")
    _year_argument(ranking)
    _within_argument(ranking)
    ranking.add_argument("--json", action="store_true", help="只在标准输出打印 JSON")
    ranking.set_defaults(run=_rank)
    template = commands.add_parser("template", help="生成 Excel 评分表(一个党支部的评分表和多个党支部的批量表)")
    _rubric_arguments(template)
    template.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", help="写出的工作簿")
    _force_argument(template)
    template.set_defaults(run=_template)
    report = commands.add_parser("report", help="批量评分并写出一览表、汇总表(.xlsx)、等级分布图(--png)、评分卡(--html)和整改任务书(--tasks)")
    _rubric_arguments(report)
    report.add_argument("batch", metavar="BATCH", help="批量证据文件(.jsonl、.csv 或 .xlsx,每条记录要有 id)")
    report.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", help="一览表和汇总表写入这个工作簿")
    _scheme_argument(report)
    report.add_argument("--group", metavar="FACT", help="一览表和汇总表按这个事实分组(如 领域)")
    _within_argument(report)
    report.add_argument("--papers", action="store_true", help="同一工作簿再写出整改台账、评定结果公示和拟命名名单")
    _year_argument(report)
    report.add_argument("--png", metavar="OUT.png", help="同时写出第一个等级方案的等级分布柱状图")
    report.add_argument("--html", metavar="OUT.html", help="同时写出可打印的评分卡(每个党支部一页)")
    report.add_argument("--tasks", metavar="OUT.docx", help="同时写出整改任务书(Word,每个要整改的党支部一页)")
    _force_argument(report)
    report.set_defaults(run=_report)
    schema = commands.add_parser("schema", help="打印证据的 JSON Schema(draft 2020-12)")
    _rubric_arguments(schema)
    schema.set_defaults(run=_schema)
    graph = commands.add_parser("graph", help="打印评分的计算图(Mermaid 或 Graphviz DOT)")
    _rubric_arguments(graph)
    graph.add_argument("--format", choices=FORMATS, default="mermaid", help="输出格式,默认 mermaid")
    graph.set_defaults(run=_graph)
    plan = commands.add_parser("plan", help="打印评分计划和定级计划(每个引擎执行的内容)")
    _rubric_arguments(plan)
    _scheme_argument(plan)
    plan.set_defaults(run=_plan)
    query = commands.add_parser("sql", help="打印计分和定级的 SQL 查询,在数据库中计分(见 docs/sql.md)")
    _rubric_arguments(query)
    query.add_argument("--dialect", choices=SQL_DIALECTS, default="duckdb", help="SQL 方言,默认 duckdb")
    query.add_argument("--table", default="evidence", metavar="NAME", help="证据表名(可带模式名,如 dj.evidence)")
    _scheme_argument(query)
    query.add_argument("--id", action="store_true", help="证据表有 id 列:结果带上它")
    query.add_argument("--scale", action="append", metavar="列=小数位数", default=[],
                       help="数值、比例或酌情得分列的小数位数(DECIMAL 的 s;0 表示整数列),可多次给出;"
                            "默认事实 6 位、酌情得分按精度")
    query.add_argument("--cohort", action="store_true",
                       help="再按方案的排名规则(名次、名额、倒排)在整张表上定级,用窗口函数写在外层查询中")
    _within_argument(query)  # with --cohort: each value of the fact ranked on its own
    query.add_argument("--no-units", dest="units", action="store_false",
                       help="只给出分数(DECIMAL),不给精度单位(BIGINT)、类型适用满分等引擎读的列")
    query.set_defaults(run=_sql)
    importing = commands.add_parser("import", help="从 Excel 或 Word 评分表(.xlsx、.docx)生成评分标准草稿(.rubric)")
    importing.add_argument("table", metavar="FILE", help="评分表:.xlsx 或 .docx(表头有 项目、分值,可有 类型、考核评价标准、考评方式)")
    importing.add_argument("-o", "--output", metavar="OUT.rubric", help="草稿写入这个文件(默认打印到标准输出)")
    _force_argument(importing)
    importing.set_defaults(run=_import)
    lsp = commands.add_parser("lsp", help="启动语言服务器(LSP,经标准输入输出),供编辑器检查、悬停提示、补全、跳转和格式化"
                                          "(见 docs/editors.md;需要 starrules[lsp])")
    lsp.set_defaults(run=_lsp)
    return parser


def _rubric_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("rubric_file", metavar="RUBRIC", help="评分标准文件(.rubric)")
    command.add_argument("--rubric", metavar="NAME", help="文件中有多个标准时,指定用哪一个")
    _root_argument(command)


def _root_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--root", metavar="DIR",
                         help="“引用”只能读取这个目录中的文件(默认:标准文件所在的目录及其子目录)")


def _within_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--within", metavar="FACT",
                         help="按这个事实的每个值分别排名、分别执行名额和倒排(如 每个党委各有名额)")


def _force_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--force", action="store_true",
                         help="输出文件已存在时替换它(默认不覆盖任何已有的文件);输入文件永远不会被覆盖")


def _year_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--year", type=int, metavar="YYYY",
                         help="评定年度:“历史”按它读(逐级晋升看上一年,连续 N 年从上一年往前数);证据中写了“年度”的以证据为准")


def _scheme_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--scheme", action="append", metavar="S",
                         help="按这个等级方案评定(可写多次;默认用标准中“等级”一行列出的方案)")


def _with_rubric(args: argparse.Namespace, body: Callable[[Rubric], str], outputs: Sequence[Output] = (),
                 inputs: Sequence[Path] = ()) -> int:
    """Load the rubric, run the command, print its output; any input or output error →
    diagnostics, exit 1."""
    try:
        output = body(_load(args, outputs, inputs))
    except StarrulesError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERRORS
    print(output)
    return EXIT_OK


FAMILY_COMMANDS = ("eval", "explain", "rank", "report")  # what scores a mixed batch by 适用


def _load(args: argparse.Namespace, outputs: Sequence[Output], inputs: Sequence[Path]) -> Rubric:
    """The rubric, with the outputs checked first: before anything is read, against the rubric
    file and `inputs` (E601–E606); once loaded, against every file it imports (E601). A file of
    standards that declare 适用, with none named, is a family: `args.family` holds it (each
    branch is scored by its own standard) and the first standard is returned for the layout."""
    if outputs:
        check_outputs(outputs, [Path(args.rubric_file), *inputs], force=args.force)
    loaded = _rubric_or_family(args)
    if isinstance(loaded, RubricFamily) and args.command not in FAMILY_COMMANDS:
        raise _UsageError(f"文件中有多个标准,请用 --rubric 指定一个;文件中的标准:"
                          f"{'、'.join(r.name for r in loaded.rubrics)}(eval、explain、rank、report 可以按“适用”"
                          f"给每个{loaded.rubrics[0].subject}选用它的标准)")
    args.family = loaded if isinstance(loaded, RubricFamily) else None
    rubric = loaded.rubrics[0] if isinstance(loaded, RubricFamily) else loaded
    check_not_inputs(outputs, rubric.sources)
    return rubric


def _rubric_or_family(args: argparse.Namespace) -> Rubric | RubricFamily:
    """The standard named, or the only one; with none named in a file of several (E108) whose
    standards declare 适用, the family of those (E108 stays for a file without 适用)."""
    try:
        return load(args.rubric_file, args.rubric, root=args.root)
    except RubricCheckError as several:
        if args.rubric is not None or [d.code for d in several.diagnostics] != ["E108"]:
            raise
        report = check_file(args.rubric_file, root=args.root)
        if not any(r.applies is not None for r in report.rubrics.values()):
            raise
        return family_of(report, args.rubric_file)


def _scorer(args: argparse.Namespace, rubric: Rubric) -> Rubric | RubricFamily:
    """What scores one branch: the rubric, or the family it is the first of."""
    family: RubricFamily | None = getattr(args, "family", None)
    return family if family is not None else rubric


def _choose(args: argparse.Namespace) -> Choose | None:
    family: RubricFamily | None = getattr(args, "family", None)
    return None if family is None else family.choose


def _outputs(*wanted: tuple[str | None, str, tuple[str, ...], str]) -> list[Output]:
    """The outputs asked for as (file or None, option, suffixes, what it holds); a wrong suffix
    is a usage error (E602)."""
    outputs = [Output(Path(file), option, suffixes, what) for file, option, suffixes, what in wanted
               if file is not None]
    problems = suffix_problems(outputs)
    if problems:
        raise _UsageError(render_all(problems))
    return outputs


def _eval(args: argparse.Namespace) -> int:
    path = _evidence_path(args.evidence, BATCH_FILES)
    if args.output is not None:
        return _eval_to_file(args, path)
    if path.suffix.lower() in COLUMN_SUFFIXES:
        raise _UsageError("Parquet 文件用 -o 批量评分,例如:-o 结果.parquet")

    def run(rubric: Rubric) -> str:
        if path.suffix.lower() in BATCH_SUFFIXES:
            results = evaluate_batch(rubric, path, args.scheme, year=args.year, choose=_choose(args))
            if args.json:
                for r in results:
                    _warn(f"{path}" + (f"(id {r.id})" if r.id is not None else ""), r.warnings)
                return json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2)
            names = branch_names(path, rubric)
            return "\n\n".join(f"{_heading(r.id, names)}\n{table(r)}" for r in results)
        result = _scorer(args, rubric).evaluate(path, schemes=args.scheme, year=args.year)
        if args.json:
            _warn(str(path), result.warnings)
        return result.to_json() if args.json else table(result)  # a table shows its warnings itself
    return _with_rubric(args, run)


def _heading(identifier: str | None, names: Mapping[str, str]) -> str:
    """What heads one branch's table in a batch: “编号 示例-001 某科技公司党支部”."""
    name = names.get(identifier) if identifier is not None else None
    return f"编号 {identifier}" + (f" {name}" if name else "")


def _warn(where: str, warnings: Sequence[ResultWarning]) -> None:
    """A result's warnings (W501) on stderr, where the output itself does not show them to a person."""
    for warning in warnings:
        print(f"{where}: {warning.text}", file=sys.stderr)


def _eval_to_file(args: argparse.Namespace, path: Path) -> int:
    """Stream a batch file through the batch engine into OUT a chunk at a time; bad records go to
    stderr and the rest are still written. OUT is replaced only when every chunk is written."""
    output = Path(args.output)
    if path.suffix.lower() not in BATCH_FILES:
        raise _UsageError("-o 用于批量评分:证据应为 .jsonl、.csv、.xlsx 或 .parquet")
    outputs = _outputs((args.output, "-o", OUTPUT_SUFFIXES, "批量评分"))
    if args.chunk_rows < 1:
        raise _UsageError(f"--chunk-rows 应为正整数,这里是 {args.chunk_rows}")
    shown = not args.quiet and sys.stderr.isatty()  # the progress display, on a terminal only
    if any(importlib.util.find_spec(m) is None for m in ("numpy", *(("tqdm",) if shown else ()))):
        print("批量评分(-o)需要 numpy、pyarrow 和 tqdm:pip install 'starrules[batch]'", file=sys.stderr)
        return EXIT_USAGE
    if args.engine == "duckdb" and path.suffix.lower() != ".parquet":
        raise _UsageError("--engine duckdb 读 .parquet 证据;其他格式请用默认引擎")
    try:
        rubric = _load(args, outputs, [path])
        if args.family is not None:
            raise _UsageError("-o 由批量引擎用一个标准评分;分领域(适用)的标准请用 --rubric 指定一个,"
                              "或不带 -o 评分、用 starrules report 出报表")
        progress = Progress(_count(path) if shown else None, enabled=shown)
        failed = 0
        try:
            with ResultWriter(output) as writer:
                for batch in rubric.evaluate_columns(path, schemes=args.scheme, errors="collect",
                                                     chunk_rows=args.chunk_rows, year=args.year, engine=args.engine):
                    for problem in batch.errors:  # printed above the progress line, which is then redrawn
                        progress.note(str(EvidenceError(list(problem.diagnostics))))
                    for warned in batch.warnings:  # also in the output's `warnings` column
                        for warning in warned.warnings:
                            progress.note(f"{path}:{warned.row}: {warning.text}")
                    failed += len(batch.errors)
                    writer.write(batch)
                    progress.advance(len(batch))
        finally:  # an error below starts on a line of its own
            progress.finish()
    except StarrulesError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERRORS
    except ImportError as exc:  # Parquet without pyarrow
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(str(write_failed(output, exc)), file=sys.stderr)
        return EXIT_ERRORS
    if not args.quiet:
        done = f"已写出 {writer.count} 条结果到 {output}" if writer.written else f"没有评出分数的{rubric.subject},没有写出 {output}"
        print(done + (f";{failed} 条有错误,见上" if failed else ""), file=sys.stderr)
    return EXIT_ERRORS if failed else EXIT_OK


def _count(path: Path) -> int | None:
    """Records in the batch, for the progress bar; None when the file cannot be read (the reader
    then reports why, with its code)."""
    try:
        return count_records(path)
    except (OSError, ValueError, StarrulesError):  # ValueError: Arrow's for a broken Parquet footer
        return None


def _explain(args: argparse.Namespace) -> int:
    path = _evidence_path(args.evidence)
    return _with_rubric(args, lambda rubric: explain(_scorer(args, rubric).evaluate(path, schemes=args.scheme)))


def _batch_path(file: str) -> Path:
    path = Path(file)
    if path.suffix.lower() not in BATCH_SUFFIXES:
        raise _UsageError(f"批量证据文件应为 .jsonl、.csv 或 .xlsx,这里是“{file}”")
    return path


def _rank(args: argparse.Namespace) -> int:
    """Each scheme asked for (by default the rubric's own, as eval and report use) ranked in
    turn; the table and the JSON carry each branch's 名称 from the batch file."""
    path = _batch_path(args.batch)

    def run(rubric: Rubric) -> str:
        schemes = list(dict.fromkeys(args.scheme or rubric.schemes))
        if not schemes:
            raise _UsageError(f"标准“{rubric.name}”没有“等级”一行,不知道按哪个等级方案排名:"
                              "用 --scheme 指定(如 --scheme 星级)")
        results = evaluate_batch(rubric, path, schemes, explain=False, year=args.year, choose=_choose(args))
        names = branch_names(path, rubric)
        try:
            rankings = [rank(results, scheme, rubric=rubric, within=args.within) for scheme in schemes]
        except ValueError as exc:  # --within names no fact of the standard
            raise _UsageError(str(exc)) from None
        if not args.json:
            return "\n\n".join(ranking_table(ranked, names) for ranked in rankings)
        documents = [_named(ranked.to_dict(), names) for ranked in rankings]
        # one scheme: the ranking object itself (as before there could be several); several: an array
        return json.dumps(documents[0] if len(documents) == 1 else documents, ensure_ascii=False, indent=2)
    return _with_rubric(args, run)


def _named(ranking: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """A ranking's JSON with each branch's 名称 (null when the batch gives none) after its id."""
    branches = [{"id": b["id"], "name": names.get(b["id"]) if b["id"] is not None else None,
                 **{k: v for k, v in b.items() if k != "id"}} for b in ranking["branches"]]
    return {**ranking, "branches": branches}


def _template(args: argparse.Namespace) -> int:
    outputs = _outputs((args.output, "-o", (".xlsx",), "评分表"))

    def run(rubric: Rubric) -> str:
        from .report.xlsx_template import write_template
        _written(args.output, lambda: write_template(rubric, args.output))
        return f"已写出评分表:{args.output}(“评分表”一个{rubric.subject},“批量”每行一个{rubric.subject})"
    return _with_rubric(args, run, outputs)


def _report(args: argparse.Namespace) -> int:
    path = _batch_path(args.batch)
    outputs = _outputs((args.output, "-o", (".xlsx",), "一览表和汇总表"),
                       (args.png, "--png", (".png",), "等级分布图"),
                       (args.html, "--html", (".html", ".htm"), "评分卡"),
                       (args.tasks, "--tasks", (".docx",), "整改任务书"))

    def run(rubric: Rubric) -> str:
        from .report.scorecard import scorecard_html
        from .report.docx_tasks import none_to_rectify, task_letters
        from .report.summary import deciding_rater, summarise
        from .report.png_chart import chart_png
        from .report.xlsx_report import report_workbook
        if not args.scheme and not rubric.schemes:
            raise _UsageError(f"标准“{rubric.name}”没有“等级”一行,报表不知道按哪个等级方案评定:"
                              "用 --scheme 指定(如 --scheme 星级)")
        results = evaluate_batch(rubric, path, args.scheme, year=args.year, choose=_choose(args))
        if not results:
            raise _UsageError(f"“{args.batch}”中没有{rubric.subject}")
        members = args.family.rubrics if args.family is not None else ()
        try:
            summary = summarise(rubric, results, list(results[0].levels), branch_names(path, rubric), args.group,
                                members, args.within)
        except ValueError as exc:
            raise _UsageError(str(exc)) from None
        try:
            html = scorecard_html(summary) if args.html else ""
            tasks = task_letters(summary) if args.tasks else None
        except ImportError as exc:  # jinja2 (the html extra) or python-docx (docx) is missing: the message says so
            raise _UsageError(str(exc)) from None
        # each written straight into the temporary file _write_together made for it (not atomically again)
        writes: list[tuple[str, Callable[[Path], object]]] = [(args.output,
                                                               lambda temp: report_workbook(summary, papers=args.papers).save(temp))]
        sheets = "一览表、汇总表" + ("、评价主体对照" if deciding_rater(rubric) is not None else "") + \
            ("、整改台账、公示、命名" if args.papers else "")
        lines = [f"已评定 {len(results)} 个{rubric.subject}", f"{sheets}:{args.output}"]
        if args.png:
            writes.append((args.png, lambda temp: temp.write_bytes(chart_png(summary))))
            lines.append(f"等级分布图:{args.png}")
        if args.html:
            writes.append((args.html, lambda temp: temp.write_text(html, encoding="utf-8")))
            lines.append(f"评分卡:{args.html}")
        if tasks is not None:
            writes.append((args.tasks, lambda temp: temp.write_bytes(tasks.data)))
            lines.append(f"整改任务书:{args.tasks}" + ("" if tasks.branches else f"({none_to_rectify(summary)})"))
        try:
            _write_together(writes)
        except ImportError as exc:  # matplotlib (the chart extra) or a CJK font is missing: nothing was replaced
            raise _UsageError(str(exc)) from None
        return "\n".join(lines)
    return _with_rubric(args, run, outputs, [path])


def _write_together(writes: Sequence[tuple[str, Callable[[Path], object]]]) -> None:
    """Each output to a temporary file beside it, then all put in place at the end: a run that
    fails part way (a full disk at the last file, Ctrl-C) replaces none of them."""
    pending: list[Pending] = []
    try:
        for file, write in writes:
            pending.append(_written(file, lambda: Pending(file)))
            _written(file, lambda: write(pending[-1].temp))
        for (file, _), done in zip(writes, pending):
            _written(file, done.commit)
    finally:
        for done in pending:
            done.discard()  # nothing is left to remove once committed


T = TypeVar("T")


def _written(file: str, write: Callable[[], T]) -> T:
    try:
        return write()
    except OSError as exc:
        raise write_failed(file, exc) from None


def _schema(args: argparse.Namespace) -> int:
    return _with_rubric(args, lambda rubric: json.dumps(rubric.evidence_schema(), ensure_ascii=False, indent=2))


def _plan(args: argparse.Namespace) -> int:
    def text(rubric: Rubric) -> str:
        names = args.scheme or list(rubric.schemes)
        return "\n\n".join([rubric.scoring_plan.describe(), *(rubric.grade_plan(n).describe() for n in names)])
    return _with_rubric(args, text)


SQL_DIALECTS = ("duckdb", "postgres", "mysql", "spark", "trino", "sqlite")


def _sql(args: argparse.Namespace) -> int:
    scales: dict[str, int] = {}
    for given in args.scale:
        name, _, places = given.rpartition("=")
        if not name or not places.isdigit():
            raise _UsageError(f"--scale 应写成 列=小数位数(如 党员人数比例=4),这里是 {given}")
        scales[name] = int(places)
    if args.within is not None and not args.cohort:
        raise _UsageError("--within 把排名规则按组分开,要与 --cohort 一起用")
    try:
        from .sql.query import QuerySpec, query_sql
    except ImportError:
        print("SQL 查询需要 sqlglot:pip install 'starrules[sql]'", file=sys.stderr)
        return EXIT_USAGE

    def text(rubric: Rubric) -> str:
        schemes = tuple(args.scheme or rubric.schemes)
        columns = None
        if args.id or scales:  # the table's columns: every fact and score, and the id
            evidence = rubric.evaluator.evidence_spec
            columns = (*(("id",) if args.id else ()), *rubric.scoring_plan.facts, *evidence.judged)
        if args.within is not None:
            try:
                within_fact(rubric, args.within)
            except ValueError as exc:  # --within names no fact of the standard
                raise _UsageError(str(exc)) from None
        spec = QuerySpec(columns, scales, schemes, units=args.units, cohort=args.cohort, within=args.within)
        return query_sql(rubric, args.dialect, args.table, spec, pretty=True) + ";"
    return _with_rubric(args, text)


def _import(args: argparse.Namespace) -> int:
    """A 评分表 (.xlsx / .docx) as a draft rubric: printed, or written to -o (never over an existing
    file without --force, replaced atomically); the draft's check is summed up on stderr."""
    from .api import check_text
    from .io.table_draft import import_table
    outputs = _outputs((args.output, "-o", (".rubric",), "评分标准草稿"))
    try:
        if outputs:
            check_outputs(outputs, [Path(args.table)], force=args.force)
        drafted = import_table(args.table)
        report = check_text(drafted.text, args.output or f"{args.table}.rubric")
        if args.output is None:
            print(drafted.text, end="")
        else:
            _written(args.output, lambda: write_text(args.output, drafted.text))
    except StarrulesError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERRORS
    if report.diagnostics:
        print(render_all(report.diagnostics), end="\n\n", file=sys.stderr)
    where = f"已写出草稿 {args.output}" if args.output else "草稿"
    print(f"{where}:{len(drafted.table.items)} 个项目,{drafted.recognised} 条计分规定写成了规则,"
          f"{drafted.unconfirmed} 条待确认,{drafted.no_method} 个项目原表没有考评方式;"
          f"检查:{len(report.errors)} 个错误,{len(report.warnings)} 个警告", file=sys.stderr)
    return EXIT_ERRORS if report.errors else EXIT_OK


def _lsp(args: argparse.Namespace) -> int:
    """The language server on stdin and stdout, until the editor tells it to exit."""
    try:
        from .lsp.server import serve
    except ImportError as exc:  # pygls (and lsprotocol, which it brings) are the lsp extra
        if (exc.name or "").partition(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        print("编辑器支持需要 pygls:pip install 'starrules[lsp]'", file=sys.stderr)
        return EXIT_USAGE
    serve()
    return EXIT_OK


def _graph(args: argparse.Namespace) -> int:
    return _with_rubric(args, lambda rubric: render(rubric.graph, args.format).rstrip("\n"))


def _evidence_path(file: str, batch: tuple[str, ...] = ()) -> Path:
    path = Path(file)
    if path.suffix.lower() != ".json" and path.suffix.lower() not in batch:
        # checked before the standard is loaded, so without its 主体 word
        many = "," + "、".join(batch) + "(多个评分对象)" if batch else ""
        raise _UsageError(f"证据文件应为 .json(一个评分对象的事实){many},这里是“{file}”")
    return path


class _UsageError(Exception):
    pass


def _check(args: argparse.Namespace) -> int:
    if args.range and args.format != "text":
        raise _UsageError(f"--range 打印的是表格,不能与 --format {args.format} 同用")
    errors = warnings = 0
    found: list[Diagnostic] = []
    for file in args.files:
        report = check_file(file, root=args.root)
        if report.diagnostics and args.format == "text":
            print(render_all(report.diagnostics), end="\n\n", file=sys.stderr)
        found.extend(report.diagnostics)
        errors += len(report.errors)
        warnings += len(report.warnings)
        if args.range and not report.errors:
            for rubric in report.rubrics.values():
                print_ranges(rubric, sys.stdout)
    if args.format == "text":
        print(f"检查了 {len(args.files)} 个文件:{errors} 个错误,{warnings} 个警告", file=sys.stderr)
    else:  # for a program: the one document on stdout, nothing on stderr
        document = diagnostics_json(found) if args.format == "json" else sarif_log(found, version())
        print(json.dumps(document, ensure_ascii=False, indent=2))
    if errors or (args.strict and warnings):
        return EXIT_ERRORS
    return EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for file in args.files:
        reporter = Reporter()
        text = read_text(Path(file), reporter, limit=DEFAULT.file_bytes)
        if text is None:
            print(render_all(reporter.diagnostics), file=sys.stderr)
            status = EXIT_ERRORS
            continue
        try:
            formatted = format_text(text, file)
        except RubricError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_ERRORS
            continue
        if formatted == text:
            continue
        if args.check:
            print(f"需要格式化:{file}", file=sys.stderr)
            status = EXIT_ERRORS
        else:
            try:
                _rewrite(Path(file), formatted)
            except OSError as exc:
                print(str(write_failed(file, exc)), file=sys.stderr)
                status = EXIT_ERRORS
                continue
            print(f"已格式化:{file}", file=sys.stderr)
    return status


def _rewrite(path: Path, text: str) -> None:
    """Replace a rubric file atomically: the file a symlink names, keeping its permissions
    (a hard-linked file gets a name of its own)."""
    target = path.resolve()
    write_text(target, text, mode=stat.S_IMODE(target.stat().st_mode))


def print_ranges(rubric: CheckedRubric, out: TextIO) -> None:
    """The checker's interval analysis as an aligned table."""
    rows: list[tuple[str, Interval]] = [(f"标准 {rubric.name} 总分", rubric.ranges.total)]
    for section in rubric.containers:
        name = section.display_name
        rows.append((f"  类型 {name}", rubric.ranges.sections[name]))
        rows.extend((f"    项目 {item.name}", rubric.ranges.items[item.name]) for item in section.items)
    width = max(display_width(label) for label, _ in rows) + 2
    print(f"{'':{width}}最低分  最高分", file=out)
    for label, interval in rows:
        pad = " " * (width - display_width(label))
        print(f"{label}{pad}{_bound(interval.lo, '-∞'):>6}  {_bound(interval.hi, '+∞'):>6}", file=out)


def _bound(value: Bound, infinite: str) -> str:
    return infinite if value is None else format_decimal(value)


if __name__ == "__main__":
    raise SystemExit(main())
