"""The shell's syntax tree: words and their parts, commands, and the compound commands.

The parser builds it and the interpreter walks it; nothing else is shared between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Lit:
    text: str
    quoted: bool = False  # quoted text is neither split into fields nor globbed


@dataclass
class Param:
    name: str
    op: str = ""  # "", ":-", "-", ":=", "=", ":+", "+", ":?", "?", "#", "##", "%", "%%", "len", "bad"
    arg: Word | None = None
    quoted: bool = False


@dataclass
class CmdSub:
    body: Node
    quoted: bool = False


@dataclass
class Arith:
    expr: Word
    quoted: bool = False


@dataclass
class ProcSub:
    """<(...) or >(...): parsed so scripts using it still run; the substitution itself is not emulated."""


Part = Lit | Param | CmdSub | Arith | ProcSub


@dataclass
class Word:
    parts: list[Part]

    def plain(self) -> str | None:
        """The text of a single unquoted literal (how reserved words are recognised)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None


@dataclass
class HereDoc:
    delim: str
    strip_tabs: bool
    expand: bool
    body: Word = field(default_factory=lambda: Word([]))


@dataclass
class Redirect:
    fd: int
    op: str
    target: Word | None = None
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assigns: list[tuple[str, bool, Word]]  # name, append (+=), value
    words: list[Word]
    redirects: list[Redirect]
    line: int


@dataclass
class Pipeline:
    commands: list[Node]
    negate: bool = False


@dataclass
class AndOr:
    first: Node
    rest: list[tuple[str, Node]]


@dataclass
class Seq:
    items: list[tuple[Node, bool]]  # node, ran with `&`


@dataclass
class If:
    clauses: list[tuple[Node, Node]]
    orelse: Node | None


@dataclass
class Loop:
    cond: Node
    body: Node
    until: bool


@dataclass
class For:
    var: str
    items: list[Word] | None
    body: Node


@dataclass
class Case:
    subject: Word
    arms: list[tuple[list[Word], Node]]


@dataclass
class Group:
    body: Node
    subshell: bool


@dataclass
class FuncDef:
    name: str
    body: Node


@dataclass
class Redirected:
    node: Node
    redirects: list[Redirect]


Node = Simple | Pipeline | AndOr | Seq | If | Loop | For | Case | Group | FuncDef | Redirected
