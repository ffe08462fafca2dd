"""dnf, yum, rpm, amazon-linux-extras, apt and apt-get as shell commands.

A thin adapter: the transcripts and the installing live in `guestos.packages`, which cloud-init's
`packages:` key uses too, so both paths print and install the same way.
"""

from __future__ import annotations

import re

from mock_cloud.guestos.commands.registry import Ctx, command
from mock_cloud.guestos.packages.managers import run_package_manager


@command("dnf", "yum", "rpm", "amazon-linux-extras", "apt", "apt-get")
def _package_manager(ctx: Ctx) -> int:
    result = run_package_manager(ctx.os, ctx.name, ctx.args, root=ctx.root,
                                          interactive=ctx.interactive, now=ctx.os.now())
    ctx.err.write(result.notice)
    ctx.out.write(result.out)
    ctx.err.write(result.err)
    prompted = re.search(r"Operation aborted|Abort\.|Exiting on user", result.out)
    if result.status and ctx.interactive and prompted:
        ctx.err.write("lblab: answering prompts is not emulated; run the command again with -y\n")
    return result.status
