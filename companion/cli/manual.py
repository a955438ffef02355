"""`otpc help [COMMAND [SUBCOMMAND]]`: the manual page of a command, as complete as `man` would be.

A command's page is its `--help` (usage, description, examples, options), the full help of each of
its subcommands, and the sections every page shares: environment, files, exit status. It is built from
the click tree itself, so it cannot drift from what the commands accept.
"""

from __future__ import annotations

import sys

import click

ENVIRONMENT = [
    ("OTPC_VAULT", "the vault file (like --vault); default: the user data dir, "
                   "e.g. ~/.local/share/otpc/vault.sqlite"),
    ("OTPC_PASSWORD", "the master password, for scripts (like --password-stdin); never an argument"),
    ("OTPC_NEW_PASSWORD", "the new master password for 'otpc passwd'"),
    ("OTPC_CLIP_TIME", "seconds before 'otpc code -c' clears the clipboard (30)"),
    ("OTPC_SOCKET", "the control socket of the companion (default: one per vault under "
                    "$XDG_RUNTIME_DIR/otpc/)"),
]

FILES = [
    ("vault.sqlite", "the encrypted vault (SQLite, 0600, in a 0700 directory)"),
    ("vault.clients.json", "beside the vault: the paired browsers' keys (0600)"),
    ("vault.config.json", "beside the vault: the companion's port and idle-lock settings"),
]


def exit_statuses() -> list[tuple[str, str]]:
    from companion.errors import (
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_USAGE,
        Locked,
        NotFound,
        UserError,
        VaultCorrupt,
        WrongPassword,
    )

    return [
        (str(EXIT_OK), "success"),
        (str(UserError.exit_code), "error: bad input, refused operation, no clipboard, I/O error"),
        (str(NotFound.exit_code), "not found: no such customer or entry (or several match)"),
        (str(WrongPassword.exit_code), "wrong password (the master password or an import file's)"),
        (str(VaultCorrupt.exit_code), "the vault is damaged, tampered with or rolled back"),
        (str(Locked.exit_code), "the companion is locked"),
        (str(EXIT_USAGE), "usage: unknown command or option, bad argument"),
        (str(EXIT_INTERRUPTED), "interrupted (Ctrl-C)"),
        ("141", "the reader of stdout went away (e.g. '| head -1'); nothing is printed"),
    ]


def _page(ctx: click.Context, command: click.Command, formatter: click.HelpFormatter) -> None:
    command.format_help(ctx, formatter)
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            formatter.write("\n")  # each subcommand's page starts with its own usage line
            _page(click.Context(sub, info_name=name, parent=ctx), sub, formatter)


def manual_text(root: click.Group, words: list[str]) -> str:
    """The page for `otpc WORDS...` (the whole tree's overview when WORDS is empty)."""
    ctx = click.Context(root, info_name="otpc")
    command: click.Command = root
    for word in words:
        sub = command.get_command(ctx, word) if isinstance(command, click.Group) else None
        if sub is None:
            raise click.UsageError(f"no command '{' '.join(['otpc', *words])}'", ctx=ctx)
        ctx = click.Context(sub, info_name=word, parent=ctx)
        command = sub
    formatter = click.HelpFormatter(width=100)
    _page(ctx, command, formatter)
    sections = [("Environment", ENVIRONMENT), ("Files", FILES), ("Exit status", exit_statuses())]
    if command is not root:
        root_ctx = ctx.find_root()
        records = [p.get_help_record(root_ctx) for p in root.get_params(root_ctx)]
        sections.insert(0, ("Global options (before the command)", [r for r in records if r]))
    for heading, rows in sections:
        with formatter.section(heading):
            formatter.write_dl(rows)
    formatter.write("\nSee also: README.md and docs/ (shipped with the package: 'otpc extension path' "
                    "prints the extension folder beside them).\n")
    return formatter.getvalue()


@click.command(name="help")
@click.argument("words", metavar="[COMMAND [SUBCOMMAND]]", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, words: tuple[str, ...]) -> None:
    """The full manual of COMMAND: usage, description, examples, every option, every subcommand,
    environment, files and exit status (like a man page; a pager shows it on a terminal)."""
    text = manual_text(ctx.find_root().command, list(words))
    if sys.stdout.isatty():
        click.echo_via_pager(text)
    else:
        click.echo(text, nl=False)
