"""`audit report DIR`: re-render a census or a reproduction folder, told apart by its files."""

from __future__ import annotations

from pathlib import Path

from core.errors import UsageError


def render(directory: Path, *, rejudge: bool = False) -> Path:
    """Dispatch on the folder's contents: papers.csv means a census, runs.csv a reproduction.

    ``rejudge`` (reproductions only) judges claims changed after the runs on purpose.
    """
    if not directory.exists():
        raise UsageError(f"{directory} does not exist; give a census or reproduction output folder")
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder; give a census or reproduction output folder")
    if (directory / "papers.csv").exists():
        if rejudge:
            raise UsageError("--rejudge applies to reproduction folders (runs.csv), not to a census")
        from audit.pipelines import census

        return census.render_report(directory)
    if (directory / "runs.csv").exists():
        from audit.pipelines import reproduce
        from audit.workspace import writable_folder

        writable_folder(directory, "reproduction folder", "make it writable, or copy it elsewhere")
        return reproduce.render_report(directory, rejudge=rejudge)
    raise UsageError(f"{directory} holds neither papers.csv (a census) nor runs.csv (a reproduction)")
