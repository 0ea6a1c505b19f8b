"""`pbxconf completion SHELL`: the script that makes a shell complete pbxconf's commands,
options and choices (click's own completion, for bash, zsh and fish)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from pbxconf.cli import PbxconfCommand

SHELLS = ("bash", "zsh", "fish")
INSTALL = {
    "bash": 'eval "$(pbxconf completion bash)"            # in ~/.bashrc',
    "zsh": 'eval "$(pbxconf completion zsh)"             # in ~/.zshrc',
    "fish": "pbxconf completion fish > ~/.config/fish/completions/pbxconf.fish",
}


@click.command(cls=PbxconfCommand)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell's completion script for pbxconf.

    \b
    bash:  eval "$(pbxconf completion bash)"    (in ~/.bashrc)
    zsh:   eval "$(pbxconf completion zsh)"     (in ~/.zshrc)
    fish:  pbxconf completion fish > ~/.config/fish/completions/pbxconf.fish
    """
    from pbxconf.cli import main

    completer = get_completion_class(shell)
    assert completer is not None  # the choices are the shells click knows
    click.echo(completer(main, {}, "pbxconf", "_PBXCONF_COMPLETE").source())
