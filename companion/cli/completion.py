"""Shell completion: `otpc completion bash|zsh|fish` prints click's script for the shell; commands and
options complete from the click tree, entry and customer names from the running companion.

Names come only over the control socket of an unlocked companion: completion never opens the vault,
never prompts for a password and never runs the KDF (a TAB must not block or ask anything). Without
a companion, or while it is locked, only commands and options complete.
"""

from __future__ import annotations

import os
import re

import click
from click.shell_completion import CompletionItem, get_completion_class

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_OTPC_COMPLETE"
# Parameters that take a customer name although they are not called --customer.
CUSTOMER_ARGUMENTS = {("rename", "old"), ("rm", "name")}
BASH_SAFE = re.compile(r"[A-Za-z0-9/._@%+=:,-]")


def _entries(ctx: click.Context) -> list[dict]:
    """The entries the running, unlocked companion lists; [] when there is none or it is locked."""
    from companion.cli.control import ask
    from companion.paths import vault_path

    try:
        path = vault_path(ctx.find_root().params.get("vault_path"))
        reply = ask(path, {"op": "entries"}, timeout=1.0)
    except (OSError, ValueError):
        return []
    if not isinstance(reply, dict) or not reply.get("ok"):
        return []
    found = reply.get("entries")
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _for_the_shell(value: str) -> str:
    """bash inserts a candidate as typed text: escape what the shell would split or expand. Twice:
    click's bash script reads each candidate with `read` (no -r), which eats one level itself."""
    if os.environ.get(COMPLETE_VAR, "").startswith("bash"):
        return "".join(ch if BASH_SAFE.fullmatch(ch) else "\\\\" + ch for ch in value)
    return value


def _matching(names: list[str], incomplete: str, also_after_slash: bool) -> list[CompletionItem]:
    """Names starting with what was typed (case-insensitively); for entries also those whose title
    does, so `mai<TAB>` offers 'Acme/Mail'."""
    typed = incomplete.casefold()
    hits = [
        n for n in sorted(set(names), key=str.casefold)
        if n.casefold().startswith(typed)
        or (also_after_slash and "/" not in typed and n.split("/", 1)[-1].casefold().startswith(typed))
    ]
    return [CompletionItem(_for_the_shell(n)) for n in hits]


def complete_entry(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    only_otp = ctx.command.name == "code"  # a code needs a secret; other commands take any entry
    refs = [f"{e.get('customer')}/{e.get('title')}" for e in _entries(ctx)
            if e.get("has_otp") or not only_otp]
    return _matching(refs, incomplete, also_after_slash=True)


def complete_customer(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    names = [str(e.get("customer")) for e in _entries(ctx)]
    return _matching(names, incomplete, also_after_slash=False)


def _completer(command: click.Command, param: click.Parameter):
    if param.metavar in ("ENTRY", "[ENTRY]") or "--entry" in param.opts:
        return complete_entry
    if "--customer" in param.opts or (command.name, param.name) in CUSTOMER_ARGUMENTS:
        return complete_customer
    return None


def attach(command: click.Command) -> click.Command:
    """Give every ENTRY / --entry parameter entry-name completion and every --customer (and customer
    rename/rm argument) customer-name completion, in this command and its subcommands. One rule here
    instead of a `shell_complete=` on each of the many parameters across the CLI modules."""
    for param in command.params:
        # click stores the `shell_complete=` argument of a parameter here; we only fill empty ones.
        if param._custom_shell_complete is None:
            param._custom_shell_complete = _completer(command, param)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            attach(sub)
    return command


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    Commands and options complete always; entry and customer names complete while a companion runs
    unlocked (they come from it over the control socket; completion never asks for a password).

    \b
    Install it:
      bash:  echo 'eval "$(otpc completion bash)"' >> ~/.bashrc
      zsh:   echo 'eval "$(otpc completion zsh)"' >> ~/.zshrc
      fish:  otpc completion fish > ~/.config/fish/completions/otpc.fish
    """
    from companion.cli.main import cli

    script = get_completion_class(shell)(cli, {}, "otpc", COMPLETE_VAR).source()
    click.echo(script)
