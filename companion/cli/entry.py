"""The `otpc` console script. Turns every UserError into one line on stderr and a non-zero exit.

`otpc code` takes a fast path first (companion/cli/fast.py): with a running, unlocked companion it
asks over the control socket using only the standard library, so it answers before click, rich or
the vault would even have been imported.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        from companion.cli.fast import try_fast_path

        answered = try_fast_path(args)
        if answered is not None:
            return answered
    except ImportError:
        pass
    import click

    from companion.cli.main import cli
    from companion.errors import UserError

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
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"otpc: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("otpc: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
