"""An instance's own filesystem: an in-memory tree that can never reach the host.

Paths are normalised against the instance's working directory; `..` stops at the
virtual root, so no spelling of a path escapes it. Total size is capped so a hostile
script cannot exhaust the host's memory.
"""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass, field
from typing import Any

MAX_TOTAL_BYTES = 16 * 1024 * 1024


class VfsError(Exception):
    """A shell-style error, e.g. 'No such file or directory'."""


@dataclass
class VNode:
    is_dir: bool
    data: bytes = b""
    mode: int = 0o644
    children: dict[str, VNode] = field(default_factory=dict)


def normalize(path: str, cwd: str = "/") -> str:
    """Absolute, normalised path; `..` above `/` stays at `/` (as in a chroot)."""
    if not path.startswith("/"):
        path = posixpath.join(cwd, path)
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


class VirtualFS:
    def __init__(self) -> None:
        self.root = VNode(is_dir=True, mode=0o755)
        self.total_bytes = 0

    # -- lookups -------------------------------------------------------------
    def _node(self, path: str) -> VNode | None:
        node = self.root
        for part in normalize(path).strip("/").split("/"):
            if not part:
                continue
            if not node.is_dir or part not in node.children:
                return None
            node = node.children[part]
        return node

    def exists(self, path: str) -> bool:
        return self._node(path) is not None

    def is_dir(self, path: str) -> bool:
        node = self._node(path)
        return node is not None and node.is_dir

    def is_file(self, path: str) -> bool:
        node = self._node(path)
        return node is not None and not node.is_dir

    def read_bytes(self, path: str) -> bytes:
        node = self._node(path)
        if node is None:
            raise VfsError(f"{path}: No such file or directory")
        if node.is_dir:
            raise VfsError(f"{path}: Is a directory")
        return node.data

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def listdir(self, path: str) -> list[str]:
        node = self._node(path)
        if node is None:
            raise VfsError(f"{path}: No such file or directory")
        if not node.is_dir:
            raise VfsError(f"{path}: Not a directory")
        return sorted(node.children)

    def mode(self, path: str) -> int:
        node = self._node(path)
        if node is None:
            raise VfsError(f"{path}: No such file or directory")
        return node.mode

    # -- changes -------------------------------------------------------------
    def _parent(self, path: str) -> tuple[VNode, str]:
        norm = normalize(path)
        if norm == "/":
            raise VfsError("/: Is a directory")
        parent_path, name = posixpath.split(norm)
        parent = self._node(parent_path)
        if parent is None:
            raise VfsError(f"{path}: No such file or directory")
        if not parent.is_dir:
            raise VfsError(f"{parent_path}: Not a directory")
        return parent, name

    def mkdir(self, path: str, parents: bool = False, mode: int = 0o755) -> None:
        norm = normalize(path)
        if parents:
            current = "/"
            for part in norm.strip("/").split("/"):
                if not part:
                    continue
                current = posixpath.join(current, part)
                node = self._node(current)
                if node is None:
                    self.mkdir(current, mode=mode)
                elif not node.is_dir:
                    raise VfsError(f"{current}: Not a directory")
            return
        parent, name = self._parent(norm)
        if name in parent.children:
            raise VfsError(f"cannot create directory '{path}': File exists")
        parent.children[name] = VNode(is_dir=True, mode=mode)

    def write_bytes(self, path: str, data: bytes, append: bool = False) -> None:
        parent, name = self._parent(path)
        node = parent.children.get(name)
        if node is not None and node.is_dir:
            raise VfsError(f"{path}: Is a directory")
        old = node.data if node is not None else b""
        new = old + data if append else data
        growth = len(new) - len(old)
        if self.total_bytes + growth > MAX_TOTAL_BYTES:
            raise VfsError(f"{path}: No space left on device")
        self.total_bytes += growth
        if node is None:
            parent.children[name] = VNode(is_dir=False, data=new)
        else:
            node.data = new

    def write_text(self, path: str, text: str, append: bool = False) -> None:
        self.write_bytes(path, text.encode("utf-8"), append=append)

    def chmod(self, path: str, mode: int) -> None:
        node = self._node(path)
        if node is None:
            raise VfsError(f"cannot access '{path}': No such file or directory")
        node.mode = mode

    def remove(self, path: str, recursive: bool = False) -> None:
        parent, name = self._parent(path)
        node = parent.children.get(name)
        if node is None:
            raise VfsError(f"cannot remove '{path}': No such file or directory")
        if node.is_dir and not recursive:
            raise VfsError(f"cannot remove '{path}': Is a directory")
        self.total_bytes -= _size(node)
        del parent.children[name]

    def clear(self) -> None:
        self.root = VNode(is_dir=True, mode=0o755)
        self.total_bytes = 0

    def walk_files(self) -> list[str]:
        out: list[str] = []

        def visit(node: VNode, path: str) -> None:
            for name, child in sorted(node.children.items()):
                child_path = posixpath.join(path, name)
                if child.is_dir:
                    visit(child, child_path)
                else:
                    out.append(child_path)

        visit(self.root, "/")
        return out

    # -- persistence ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _node_to_dict(self.root)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VirtualFS:
        fs = cls()
        fs.root = _node_from_dict(data)
        fs.total_bytes = _size(fs.root)
        return fs


def _size(node: VNode) -> int:
    if not node.is_dir:
        return len(node.data)
    return sum(_size(child) for child in node.children.values())


def _node_to_dict(node: VNode) -> dict[str, Any]:
    if node.is_dir:
        return {"mode": node.mode, "children": {k: _node_to_dict(v) for k, v in node.children.items()}}
    try:
        return {"mode": node.mode, "text": node.data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"mode": node.mode, "b64": base64.b64encode(node.data).decode("ascii")}


def _node_from_dict(data: dict[str, Any]) -> VNode:
    if "children" in data:
        children = {k: _node_from_dict(v) for k, v in data["children"].items()}
        return VNode(is_dir=True, mode=data.get("mode", 0o755), children=children)
    raw = data["text"].encode("utf-8") if "text" in data else base64.b64decode(data.get("b64", ""))
    return VNode(is_dir=False, data=raw, mode=data.get("mode", 0o644))
