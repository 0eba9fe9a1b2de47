"""The ``audit`` command line: parses options, calls a pipeline, turns expected errors into one line.

Every command is a thin shell over a function in :mod:`audit.pipelines`; the pipelines are imported
inside the commands so that ``audit --help`` does not pay for importing torch or pandas.
"""

from __future__ import annotations

import errno
import sys
import traceback
from pathlib import Path

import click

from audit import __version__
from audit.placement import placement_of, placement_options
from core.errors import EXIT_FAILURE, EXIT_USAGE, is_expected, one_line

_verbose = False


@click.group(
    name="audit",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="audit", message="%(prog)s %(version)s")
@click.option("--verbose", "-v", is_flag=True, help="Show details and tracebacks.")
def app(verbose: bool) -> None:
    """Reproducibility auditing for published ML research code.

    Census a conference's code (crawl, clone, deps, census) and rerun registered pruning papers
    across seeds with a verdict per claim (papers, reproduce); re-render any output folder (report).
    """
    global _verbose
    _verbose = _verbose or verbose


def _out_option(help_text: str = "Output folder.") -> click.Option:
    return click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False), help=help_text)


_from_file = click.option(
    "--from-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read an exported list of notes (v1 or v2 JSON) instead of asking the API.",
)
_directory = click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
_workers = click.option("--workers", "-j", type=click.IntRange(min=1), default=8, show_default=True)
_timeout = click.option(
    "--timeout", type=click.FloatRange(min=1), default=120.0, show_default=True, help="Seconds per clone."
)
_all_submissions = click.option(
    "--all-submissions",
    is_flag=True,
    help="Clone and analyse every submission's code, not only accepted papers'.",
)
_max_size = click.option(
    "--max-size-mb",
    type=click.FloatRange(min=1),
    default=500.0,
    show_default=True,
    help="Largest repository kept.",
)


_pdf = click.option(
    "--pdf",
    type=click.Choice(["auto", "yes", "no"]),
    default="auto",
    show_default=True,
    help="Read accepted papers' PDFs for code links: auto = API venues whose form has no code field.",
)
_pdf_max_wait = click.option(
    "--pdf-max-wait",
    type=click.FloatRange(min=0),
    default=6 * 3600.0,
    show_default=True,
    help="Longest wait (s) for OpenReview's PDF rate limit before stopping; rerun to continue.",
)


def _politeness(max_wait: float) -> object:
    from crawlers.openreview.pdfs import Politeness

    return Politeness(max_wait_s=max_wait)


@app.command()
@click.argument("venue")
@_out_option()
@_from_file
@_pdf
@_pdf_max_wait
def crawl(venue: str, out: Path | None, from_file: Path | None, pdf: str, pdf_max_wait: float) -> None:
    """List VENUE's submissions, decisions and code links into papers.csv.

    FILE may also be a paper list of papercopilot/paperlists (flat records with id, title, status,
    github). Example: audit crawl ICLR.cc/2020/Conference --out iclr2020
    """
    from audit.pipelines import crawl as step

    step.run(venue, out=out, from_file=from_file, pdf=pdf, politeness=_politeness(pdf_max_wait))  # type: ignore[arg-type]


@app.command()
@_directory
@_workers
@_timeout
@_max_size
@_all_submissions
@placement_options
def clone(
    directory: Path,
    workers: int,
    timeout: float,
    max_size_mb: float,
    all_submissions: bool,
    executor: str,
    scheduler: str | None,
    store: str | None,
) -> None:
    """Shallow-clone every repository linked in DIRECTORY/papers.csv; write repos.csv.

    Example: audit clone iclr2020 --workers 16
    """
    from audit.pipelines import clone as step

    step.run(
        directory,
        workers=workers,
        timeout_s=timeout,
        max_size_mb=max_size_mb,
        accepted_only=not all_submissions,
        placement=placement_of(executor, scheduler, store),  # type: ignore[arg-type]
    )


@app.command()
@_directory
@click.option("--workers", "-j", type=click.IntRange(min=1), default=2, show_default=True)
@_all_submissions
@placement_options
def deps(
    directory: Path,
    workers: int,
    all_submissions: bool,
    executor: str,
    scheduler: str | None,
    store: str | None,
) -> None:
    """Infer each cloned repository's dependencies (declared files + imports, never executed).

    Writes dependencies.csv, frameworks.csv and all_tools.csv. Example: audit deps iclr2020
    """
    from audit.pipelines import deps as step

    placement = placement_of(executor, scheduler, store)
    step.run(directory, workers=workers, accepted_only=not all_submissions, placement=placement)


@app.command()
@_directory
@click.option("--workers", "-j", type=click.IntRange(min=1), default=2, show_default=True)
@_all_submissions
@placement_options
def checklist(
    directory: Path,
    workers: int,
    all_submissions: bool,
    executor: str,
    scheduler: str | None,
    store: str | None,
) -> None:
    """Score each analysed code base on the ML Code Completeness Checklist (read, never run).

    Needs `audit deps` first; writes checklist.csv with a verdict and evidence per item.
    Example: audit checklist iclr2020
    """
    from audit.pipelines import checklist as step

    placement = placement_of(executor, scheduler, store)
    step.run(directory, workers=workers, accepted_only=not all_submissions, placement=placement)


@app.command("census")
@click.argument("venues", metavar="VENUE [VENUE...]", nargs=-1, required=True)
@_out_option("Output folder (with several venues: the parent of one folder per venue).")
@click.option(
    "--from-file",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    help="Exported notes or a paper list instead of the API; repeat once per VENUE, in order.",
)
@_workers
@_timeout
@_max_size
@click.option(
    "--top", type=click.IntRange(min=1), default=20, show_default=True, help="Packages in the chart."
)
@_pdf
@_pdf_max_wait
@placement_options
def census_command(
    venues: tuple[str, ...],
    out: Path | None,
    from_file: tuple[Path, ...],
    workers: int,
    timeout: float,
    max_size_mb: float,
    top: int,
    pdf: str,
    pdf_max_wait: float,
    executor: str,
    scheduler: str | None,
    store: str | None,
) -> None:
    """Crawl, clone, infer dependencies and publish each VENUE's census report (resumable).

    Several venues get one folder each and share the clone cache. Example:
    audit census ICLR.cc/2020/Conference --out iclr2020
    """
    from audit.pipelines import census

    options = {
        "workers": workers,
        "timeout_s": timeout,
        "max_size_mb": max_size_mb,
        "top_n": top,
        "pdf": pdf,
        "politeness": _politeness(pdf_max_wait),
        "placement": placement_of(executor, scheduler, store),
    }
    if len(venues) == 1 and len(from_file) <= 1:
        census.run(venues[0], out=out, from_file=from_file[0] if from_file else None, **options)  # type: ignore[arg-type]
    else:
        census.run_many(list(venues), out=out, from_files=list(from_file), **options)  # type: ignore[arg-type]


@app.command()
@click.argument(
    "directories", metavar="DIR [DIR...]", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--out", "-o", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder."
)
@click.option(
    "--horace-he",
    "reference",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Horace He's data.csv (papers whose text mentions PyTorch / TensorFlow), set beside the census.",
)
def trends(directories: tuple[Path, ...], out: Path, reference: Path | None) -> None:
    """Framework shares and code-link coverage across census folders (venues and years).

    Writes trends.csv, trends_by_domain.csv, trends.png, report.md and report.html. Example:
    audit trends iclr2018 iclr2019 iclr2020 --out trends --horace-he data.csv
    """
    from audit.pipelines import trends as pipeline

    pipeline.run(list(directories), out=out, reference=reference)


@app.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--check",
    "check_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Validate a registration file (YAML/TOML) instead of listing; exit 2 naming field and claim.",
)
@click.option(
    "--export", "export_id", metavar="PAPER_ID", help="Print a registered paper as a YAML registration."
)
def papers(as_json: bool, check_file: Path | None, export_id: str | None) -> None:
    """List the registered papers that `audit reproduce` can rerun, or check or export a registration.

    Example: audit papers --check my-paper.yaml
    """
    from audit.pipelines import reproduce as pipeline

    if check_file is not None:
        pipeline.check_registration(check_file, as_json=as_json)
    elif export_id is not None:
        pipeline.export_registration(export_id)
    else:
        pipeline.list_papers(as_json=as_json)


@app.command()
@click.argument("paper_id", required=False)
@click.option(
    "--protocol",
    default="quick",
    show_default=True,
    help="quick (CPU-minutes), paper (the paper's setup), or another the paper registers (audit papers).",
)
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Replicates 0..N-1.")
@click.option(
    "--runner",
    type=click.Choice(["auto", "docker", "local"]),
    default="auto",
    show_default=True,
    help="auto: docker when an engine is reachable, else local.",
)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@_out_option()
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Seeds in parallel.")
@click.option("--base-image", envvar="AUDIT_BASE_IMAGE", help="Docker base image (AUDIT_BASE_IMAGE).")
@click.option(
    "--wheelhouse",
    envvar="AUDIT_WHEELHOUSE",
    type=click.Path(path_type=Path, file_okay=False),
    help="Wheels for air-gapped image builds (AUDIT_WHEELHOUSE).",
)
@click.option(
    "--registration",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Run the paper a registration file (YAML/TOML) registers; PAPER_ID may then be left out.",
)
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="NAME",
    help="Train only this of the protocol's models (repeatable), e.g. --model lenet_300_100; the report "
    "records it as a deviation and claims about the others are not applicable.",
)
@placement_options
def reproduce(
    paper_id: str | None,
    protocol: str,
    seeds: int,
    runner: str,
    device: str,
    out: Path | None,
    jobs: int,
    base_image: str | None,
    wheelhouse: Path | None,
    registration: Path | None,
    models: tuple[str, ...],
    executor: str,
    scheduler: str | None,
    store: str | None,
) -> None:
    """Rerun registered paper PAPER_ID across seeds and judge every reported claim.

    Example: audit reproduce B1VZqjAcYX --protocol quick --seeds 3 --runner local
    (or: audit reproduce --registration my-paper.yaml --protocol quick)
    """
    from audit.pipelines import reproduce as pipeline

    pipeline.run(
        paper_id,
        protocol=protocol,
        seeds=seeds,
        runner=runner,
        device=device,
        out=out,
        jobs=jobs,
        base_image=base_image,
        wheelhouse=wheelhouse,
        registration=registration,
        placement=placement_of(executor, scheduler, store),
        models=models,
    )


@app.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    help="Filter: arm, round, sparsity, seed, model, recipe (repeatable).",
)
@click.option("--hash", "hash_prefix", help="Filter: a state hash or its prefix.")
@click.option(
    "--restore",
    "restore_to",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the one matching state as a plain PyTorch state_dict file.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per state.")
@click.option(
    "--store",
    envvar="AUDIT_STORE",
    metavar="PATH|URL",
    help="Where the run kept its states (its --store: a folder, or object storage such as "
    "s3://bucket/audit, read into a temporary mirror); default the cache folder.",
)
def states(
    directory: Path,
    tags: tuple[str, ...],
    hash_prefix: str | None,
    restore_to: Path | None,
    as_json: bool,
    store: str | None,
) -> None:
    """List the experiment tree of reproduction folder DIRECTORY, or restore one state.

    Example: audit states out --tag arm=imp --tag round=3 --tag recipe=train --restore ticket.pt
    """
    from audit.pipelines import states as pipeline

    pipeline.command(directory, tags, hash_prefix, restore_to, as_json, store)


@app.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--rejudge",
    is_flag=True,
    help="Reproductions: judge claims.json although it changed after the runs (a broken "
    "pre-registration, else exit 1); the report says the claims changed.",
)
def report(directory: Path, rejudge: bool) -> None:
    """Re-render report.md and report.html of a census or reproduction folder.

    A reproduction folder re-renders byte-identically; a discussion.md in it goes into the report.
    """
    from audit.pipelines import report as pipeline

    pipeline.render(directory, rejudge=rejudge)


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

#: OS errors that come from the machine (permissions, read-only or full disks), not from a bug.
_ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENAMETOOLONG,
    }
)


def _set_verbose(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    global _verbose
    _verbose = _verbose or bool(value)


def _accept_verbose_everywhere(group: click.Group) -> None:
    """Give every command its own ``-v/--verbose``, so ``audit crawl X -v`` works like ``audit -v crawl X``.

    Done at start-up for whatever commands exist, so a command added later gets it too.
    """
    for command in group.commands.values():
        if any("--verbose" in getattr(param, "opts", ()) for param in command.params):
            continue
        command.params.append(
            click.Option(
                ["--verbose", "-v"],
                is_flag=True,
                expose_value=False,
                callback=_set_verbose,
                help="Show details and tracebacks.",
            )
        )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command and map every expected error to one line and an exit code.

    Exit codes: 0 success, 1 failure (finished work kept), 2 usage error or bad input file, 130
    interrupted (Ctrl-C; finished work kept). Bare ``audit`` prints the help.
    """
    global _verbose
    args = list(sys.argv[1:] if argv is None else argv)
    before_command = args[: next((i for i, a in enumerate(args) if a == "--"), len(args))]
    _verbose = "--verbose" in before_command or "-v" in before_command
    _accept_verbose_everywhere(app)
    if not [a for a in args if a not in ("-v", "--verbose")]:
        click.echo(app.get_help(click.Context(app, info_name="audit")))
        sys.exit(0)
    try:
        result = app.main(args=args, prog_name="audit", standalone_mode=False)
    except click.UsageError as exc:
        _fail(f"{one_line(exc.format_message())}{_usage_hint(exc)}", EXIT_USAGE)
    except click.ClickException as exc:
        _fail(one_line(exc.format_message()), exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        print("\ninterrupted: finished work is kept; rerun the same command to continue", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS or is_expected(exc):
            raise
        if _verbose:
            traceback.print_exc()
        target = exc.filename2 or exc.filename  # os.replace(tmp, target) names the target second
        where = f" {target}" if target else ""
        _fail(
            f"cannot write{where}: {exc.strerror or exc}; finished work is kept, fix the folder's "
            "permissions or free space and rerun the same command",
            EXIT_FAILURE,
        )
    except Exception as exc:
        if not is_expected(exc):
            raise
        if _verbose:
            traceback.print_exc()
        _fail(one_line(exc), exc.exit_code)  # type: ignore[attr-defined]
    else:
        sys.exit(result if isinstance(result, int) else 0)


def _usage_hint(exc: click.UsageError) -> str:
    """Say what would be valid: the command list for an unknown command, else where help is."""
    if isinstance(exc, click.exceptions.NoSuchCommand):
        return f" (commands: {', '.join(app.list_commands(click.Context(app)))})"
    return " (see `audit --help`)"
