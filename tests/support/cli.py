"""Running the command line in-process and checking its one-line errors."""

from __future__ import annotations

from typing import Any

from vaedesk.cli import main


def run_cli(capsys: Any, *argv: str) -> tuple[int | str | None, str, str]:
    """``vaedesk ARGV...`` in this process: its exit code (argparse's too) and what it printed."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: Any, err: str, *words: str) -> None:
    assert code != 0
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("vaedesk: error:"), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0]
