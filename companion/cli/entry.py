"""The `otpc` console script. Turns every UserError into one line on stderr and a non-zero exit.

`otpc code` takes a fast path first (companion/cli/fast.py): with a running, unlocked companion it
asks over the control socket using only the standard library, so it answers before click, rich or
the vault would even have been imported.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run otpc; never a traceback for what a user can cause (a closed pipe, an unwritable folder)."""
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:
        # `otpc code X --json | head -1`: the reader left. Point stdout at /dev/null so the final
        # flush at exit does not raise again, and exit like other tools do on SIGPIPE.
        _silence_stdout()
        return 141
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"otpc: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _main(args: list[str]) -> int:
    try:
        from companion.cli.fast import try_fast_path

        answered = try_fast_path(args)
        if answered is not None:
            return answered
    except ImportError:
        pass
    import click

    from companion.cli.main import cli
    from companion.errors import EXIT_INTERRUPTED, EXIT_USAGE, UserError

    try:
        result = cli.main(args, prog_name="otpc", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except UserError as exc:
        click.echo(f"otpc: error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("otpc: aborted", err=True)
        return 1
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message())
        return 0
    except click.UsageError as exc:
        # One line, like every other user error; the usage block is one `--help` away.
        command = exc.ctx.command_path if exc.ctx else "otpc"
        click.echo(f"otpc: error: {exc.format_message()} (see '{command} --help')", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo(f"otpc: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("otpc: interrupted", err=True)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
