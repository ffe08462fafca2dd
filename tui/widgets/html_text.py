"""An HTML page as a text browser (lynx, w3m) draws it: headings, paragraphs, lists, links, preformatted text.

Python's own `html.parser` is enough for the pages a lab serves (a heading and a few lines from user data,
Apache's test page, an ALB's fixed responses): no new dependency. Scripts and styles are left out; each link
is underlined and numbered, and its address listed under the page, as lynx does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from rich.text import Text

HEADINGS = {"h1": "bold underline", "h2": "bold", "h3": "bold", "h4": "bold italic", "h5": "italic", "h6": "italic"}
# Elements that start on a new line and end one (a blank line after those that are paragraphs of their own).
BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "nav", "table", "tr", "form",
          "blockquote", "dl", "dt", "dd", "address", "figure", "ul", "ol", "pre", "hr", "body", *HEADINGS}
PARAGRAPHS = {"p", "pre", "blockquote", "table", "ul", "ol", "hr", *HEADINGS}
HIDDEN = {"script", "style", "head", "template", "noscript"}
SPACE = re.compile(r"\s+")


@dataclass
class _List:
    ordered: bool
    number: int = 0


@dataclass
class _Page(HTMLParser):
    """Builds the page's text while parsing: each tag opens or closes a style, a block or a list item."""

    text: Text = field(default_factory=Text)
    links: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)
    hidden: int = 0
    pre: int = 0
    title: str = ""
    _in_title: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    # -- layout ----------------------------------------------------------------------------------
    def _line_break(self, blank: bool = False) -> None:
        plain = self.text.plain
        if not plain:
            return
        wanted = "\n\n" if blank else "\n"
        trailing = len(plain) - len(plain.rstrip("\n"))
        if trailing < len(wanted):
            self.text.append("\n" * (len(wanted) - trailing))

    def _indent(self) -> str:
        return "  " * len(self.lists)

    def _write(self, words: str) -> None:
        plain = self.text.plain
        if not plain or plain.endswith("\n"):
            words = self._indent() + words.lstrip()
        elif plain.endswith(" ") and words.startswith(" "):
            words = words.lstrip()
        if words:
            self.text.append(words, " ".join(self.styles) or None)

    # -- parsing ------------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            self._in_title = False
        if tag == "title":
            self._in_title = True
        if self.hidden:
            return
        if tag in BLOCKS or tag == "li":
            self._line_break(blank=self._paragraph(tag))
        if tag in ("ul", "ol"):
            self.lists.append(_List(ordered=tag == "ol"))
        elif tag == "li" and self.lists:
            current = self.lists[-1]
            current.number += 1
            marker = f"{current.number}. " if current.ordered else "• "
            self.text.append("  " * (len(self.lists) - 1) + marker)
        elif tag == "br":
            self.text.append("\n")
        elif tag == "hr":
            self.text.append("─" * 40 + "\n")
        elif tag == "pre":
            self.pre += 1
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
            self.styles.append("underline")
        elif tag in HEADINGS:
            self.styles.append(HEADINGS[tag])
        elif tag in ("b", "strong", "th"):
            self.styles.append("bold")
        elif tag in ("i", "em"):
            self.styles.append("italic")
        elif tag == "code":
            self.styles.append("reverse")
        elif tag in ("td", "th"):
            self.text.append("  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag == "title":
            self._in_title = False
        if self.hidden:
            return
        if tag == "a":
            if self.links:
                self.text.append(f"[{len(self.links)}]", "dim")
            self._pop("underline")
        elif tag in HEADINGS:
            self._pop(HEADINGS[tag])
        elif tag in ("b", "strong", "th"):
            self._pop("bold")
        elif tag in ("i", "em"):
            self._pop("italic")
        elif tag == "code":
            self._pop("reverse")
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in BLOCKS:
            self._line_break(blank=self._paragraph(tag))

    def _paragraph(self, tag: str) -> bool:
        """A blank line around it: not around a list inside a list item."""
        return tag in PARAGRAPHS and not (tag in ("ul", "ol") and self.lists)

    def _pop(self, style: str) -> None:
        if style in self.styles:
            self.styles.reverse()
            self.styles.remove(style)
            self.styles.reverse()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self.hidden:
            return
        if self.pre:
            self.text.append(data, " ".join(self.styles) or None)
        elif data.strip() or (self.text.plain and not self.text.plain.endswith((" ", "\n"))):
            self._write(SPACE.sub(" ", data))


def html_to_text(html: str) -> Text:
    """The page as the learner reads it; links listed under it."""
    page = _Page()
    page.feed(html)
    page.close()
    text = page.text
    text.rstrip()
    if page.title.strip() and page.title.strip() not in text.plain:
        text = Text.assemble((page.title.strip(), "bold"), "\n\n", text)
    if page.links:
        text.append("\n\nLinks:\n", "bold")
        for number, href in enumerate(page.links, 1):
            text.append(f"[{number}] {href}\n")
        text.rstrip()
    return text


def is_html(content_type: str, body: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    if kind:
        return kind in ("text/html", "application/xhtml+xml")
    return body.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))
