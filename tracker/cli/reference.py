"""The CLI reference page, generated from the click commands so it cannot drift.

``python -m tracker.cli.reference > docs/cli.md`` writes it; a test checks it is current.
"""

from __future__ import annotations

import click

from tracker.cli import cli


def reference() -> str:
    """Markdown: every command with its usage, help text and options, in name order."""
    lines = [
        "<!-- Generated from the click commands by `python -m tracker.cli.reference`; do not edit. -->",
        "",
        "# 命令行参考 · CLI reference",
        "",
    ]
    ctx = click.Context(
        cli, info_name="tracker", terminal_width=100, max_content_width=100, help_option_names=["-h", "--help"]
    )
    for name in sorted(cli.commands):
        command = cli.commands[name]
        sub = click.Context(command, info_name=name, parent=ctx)
        lines += [f"## `tracker {name}`", "", "```text", command.get_help(sub).rstrip(), "```", ""]
        if isinstance(command, click.Group):
            for child_name in sorted(command.commands):
                child = command.commands[child_name]
                child_ctx = click.Context(child, info_name=child_name, parent=sub)
                lines += [f"### `tracker {name} {child_name}`", "", "```text",
                          child.get_help(child_ctx).rstrip(), "```", ""]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    click.echo(reference(), nl=False)
