"""`otpc`: the click command tree. Subcommands load lazily so each command imports only what it uses
(`otpc code` must not pay for aiohttp, and `otpc --help` must not pay for the vault)."""

from __future__ import annotations

import importlib
import os

import click

# command name -> "module:attribute"; one module per noun, each thin: parse, call the Vault, print.
COMMANDS = {
    "init": "companion.cli.setup:init",
    "passwd": "companion.cli.setup:passwd",
    "status": "companion.cli.setup:status",
    "keyring": "companion.cli.setup:keyring_group",
    "customer": "companion.cli.customers:customer",
    "entry": "companion.cli.entries:entry",
    "otp": "companion.cli.otps:otp",
    "code": "companion.cli.codes:code",
    "audit": "companion.cli.codes:audit",
    "serve": "companion.cli.service:serve",
    "pair": "companion.cli.service:pair",
    "unlock": "companion.cli.service:unlock",
    "lock": "companion.cli.service:lock",
    "clients": "companion.cli.service:clients",
    "service": "companion.cli.service:service",
    "import": "companion.cli.transfer:import_cmd",
    "export": "companion.cli.export:export_cmd",
    "completion": "companion.cli.completion:completion",
    "help": "companion.cli.manual:help_command",
    "extension": "companion.cli.extension:extension",
    "team": "companion.cli.team:team",
}


COMPLETE_VAR = "_OTPC_COMPLETE"  # set by the shell when it asks click for completions


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        if COMPLETE_VAR not in os.environ:
            return command  # running a command, not completing one: no completers needed
        from companion.cli.completion import attach

        return attach(command)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="'otpc help COMMAND' prints a command's full manual (every option and subcommand, "
    "environment, files, exit codes); 'otpc completion bash|zsh|fish' prints the shell completion.",
)
@click.option(
    "--vault",
    "vault_path",
    type=click.Path(dir_okay=False),
    envvar="OTPC_VAULT",
    help="Vault file (default: the user data dir; env OTPC_VAULT).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the master password from the first line of stdin (for scripts); env OTPC_PASSWORD also works.",
)
@click.option(
    "--accept-rollback",
    is_flag=True,
    help="Unlock a vault that is older than the last one seen here (a backup put back on purpose) "
    "and remember it as the new baseline. Without it such a vault is refused (exit 4).",
)
@click.version_option(package_name="otp-companion", prog_name="otpc")
@click.pass_context
def cli(
    ctx: click.Context, vault_path: str | None, password_stdin: bool, accept_rollback: bool
) -> None:
    """OTP Companion: one encrypted vault of your customers' OTP secrets, codes on demand."""
    from companion.cli.common import State

    ctx.obj = State(
        vault_path=vault_path, password_stdin=password_stdin, accept_rollback=accept_rollback
    )
