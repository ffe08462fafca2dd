"""Processes seen through Linux's /proc: which are alive and which a process started. Tests use it to
prove that nothing they started outlives them (consoles of `lblab web`, instances' guest processes)."""

from __future__ import annotations

from pathlib import Path


def children_of(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (Linux /proc)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and int(stat[1]) == pid and stat[0] != "Z":
                children.add(int(entry.name))
    return children


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _stat(pid: int) -> list[str] | None:
    """State, parent pid, ... of a process (the fields after its command name), or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def with_descendants(pid: int) -> list[int]:
    """`pid` and every live process below it."""
    tree = [pid]
    for member in tree:
        tree.extend(children_of(member))
    return tree
