"""The ``audit`` command line: parses options, calls a pipeline, turns expected errors into one line.

Every command is a thin shell over a function in :mod:`audit.pipelines`; the pipelines are imported
inside the commands so that ``audit --help`` does not pay for importing torch or pandas.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from audit import __version__
from core.errors import EXIT_USAGE, is_expected, one_line

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


@app.command()
@click.argument("venue")
@_out_option()
@_from_file
def crawl(venue: str, out: Path | None, from_file: Path | None) -> None:
    """List VENUE's submissions, decisions and code links into papers.csv.

    Example: audit crawl ICLR.cc/2020/Conference --out iclr2020
    """
    from audit.pipelines import crawl as step

    step.run(venue, out=out, from_file=from_file)


@app.command()
@_directory
@_workers
@_timeout
@_max_size
@_all_submissions
def clone(directory: Path, workers: int, timeout: float, max_size_mb: float, all_submissions: bool) -> None:
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
    )


@app.command()
@_directory
@click.option("--workers", "-j", type=click.IntRange(min=1), default=2, show_default=True)
@_all_submissions
def deps(directory: Path, workers: int, all_submissions: bool) -> None:
    """Infer each cloned repository's dependencies (declared files + imports, never executed).

    Writes dependencies.csv, frameworks.csv and all_tools.csv. Example: audit deps iclr2020
    """
    from audit.pipelines import deps as step

    step.run(directory, workers=workers, accepted_only=not all_submissions)


@app.command("census")
@click.argument("venue")
@_out_option()
@_from_file
@_workers
@_timeout
@_max_size
@click.option(
    "--top", type=click.IntRange(min=1), default=20, show_default=True, help="Packages in the chart."
)
def census_command(
    venue: str,
    out: Path | None,
    from_file: Path | None,
    workers: int,
    timeout: float,
    max_size_mb: float,
    top: int,
) -> None:
    """Crawl, clone, infer dependencies and publish VENUE's census report (resumable).

    Example: audit census ICLR.cc/2020/Conference --out iclr2020
    """
    from audit.pipelines import census

    census.run(
        venue,
        out=out,
        from_file=from_file,
        workers=workers,
        timeout_s=timeout,
        max_size_mb=max_size_mb,
        top_n=top,
    )


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
    )


@app.command()
@click.argument("directory", type=click.Path(path_type=Path))
def report(directory: Path) -> None:
    """Re-render report.md and report.html of a census or reproduction folder."""
    from audit.pipelines import report as pipeline

    pipeline.render(directory)


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command and map every expected error to one line and an exit code."""
    global _verbose
    args = list(sys.argv[1:] if argv is None else argv)
    _verbose = "--verbose" in args or "-v" in args
    try:
        result = app.main(args=args, prog_name="audit", standalone_mode=False)
    except click.UsageError as exc:
        _fail(f"{one_line(exc.format_message())}{_usage_hint(exc)}", EXIT_USAGE)
    except click.ClickException as exc:
        _fail(one_line(exc.format_message()), exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        print("\ninterrupted: finished work is kept; rerun the same command to continue", file=sys.stderr)
        sys.exit(130)
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
