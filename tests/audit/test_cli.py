"""The command line contract: seven commands, --version, one-line errors with the right exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit import __version__
from audit.cli import main

COMMANDS = ["crawl", "clone", "deps", "census", "papers", "reproduce", "report"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_all_seven_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("  ")]
    listed = [row[0] for row in rows if row]
    for command in COMMANDS:
        assert command in listed, f"{command} missing from --help"


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"audit {__version__}"


def test_unknown_command_is_one_line_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "frobnicate" in lines[0]
    assert "crawl" in lines[0] and "reproduce" in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_usage_error() -> None:
    result = run_cli("reproduce", "B1VZqjAcYX", "--protocol", "slow")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "slow" in result.stderr


def test_report_on_missing_folder_is_usage_error(tmp_path: pytest.TempPathFactory) -> None:
    result = run_cli("report", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_expected_error_has_no_traceback_unless_verbose(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["--verbose", "report", str(tmp_path)])
    assert "Traceback" in capsys.readouterr().err
