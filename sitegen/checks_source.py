"""`check` on an article's Markdown source: Python-Markdown traps, figures typed into prose, and the source line
of anything found in the rendered page (a link, an image, a heading).

Everything here reads the source as the editor wrote it, so line numbers are the file's own. Fenced code blocks
(``` and ~~~, indented or not) and indented code blocks are skipped: what is inside them is shown literally.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .content import split_front_matter
from .markdown_ext import CALL_RE
from .model import Article

FENCE_RE = re.compile(r"^ *(`{3,}|~{3,})")
ITEM_RE = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
HR_RE = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")
ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
SETEXT_RE = re.compile(r"^ {0,3}(=+|-+) *$")
RAW_HEADING_RE = re.compile(r"<h([1-6])\b", re.I)
NOT_PARAGRAPH_RE = re.compile(r"^ {0,3}(?:#|<|\||!!!|\?\?\?|\[\^?[^\]]+\]:|\{:?[#.:])")

# -- figures ------------------------------------------------------------------------------------------------------
INLINE_CODE_RE = re.compile(r"(`+)(?:.+?)\1")
LINK_DEST_RE = re.compile(r"\]\([^)]*\)")
URL_RE = re.compile(r"<?(?:https?://|www\.|mailto:)[^\s>)]+>?")
TAG_RE = re.compile(r"<[^>]*>")
ATTR_LIST_RE = re.compile(r"\{:?[ #.:][^}]*\}")
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
SCALE = r"(?:\s?(?:[kKmMbB]|thousand|million|billion)\b)?"
CODES = "USD|EUR|GBP|CAD|AUD|INR|JPY|CHF"
WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP"}
SYMBOLS = {"US$": "USD", "CA$": "CAD", "A$": "AUD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
MONEY_RES = (
    # $205K, ~$205,000, €90k, CA$1.2M
    re.compile(rf"(?<![\w$])(?P<sym>US\$|CA\$|A\$|[$€£¥₹])\s?(?P<num>{NUM})(?P<scale>{SCALE})"),
    # 205k USD, 205,000 dollars
    re.compile(rf"(?<![\w.,$])(?P<num>{NUM})(?P<scale>{SCALE})\s?(?P<code>{CODES}|dollars?|euros?|pounds?)\b"),
    # USD 205,000
    re.compile(rf"\b(?P<code>{CODES})\s?(?P<num>{NUM})(?P<scale>{SCALE})"),
)
# a number followed by a word ("530 open positions"): reported only when it is a number of the data
COUNT_RE = re.compile(rf"(?<![\w.,$€£¥₹])(?P<num>{NUM})\+?\s+(?=[^\W\d_])", re.I)
DIGIT_RE = re.compile(r"\d")
SCALES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "b": 1_000_000_000, "billion": 1_000_000_000}


@dataclass
class Source:
    """One article's Markdown file, split into the lines `check` reads."""

    path: str
    lines: list[str]  # every line of the file; line n is lines[n - 1]
    body_line: int  # the first line of the body
    code: set[int] = field(default_factory=set)  # lines inside code blocks (and their fences)
    fields: list[range] = field(default_factory=list)  # the lines of each Markdown field of the front matter
    _taken: dict = field(default_factory=dict)  # (kind, needle) -> lines already given to earlier findings
    _headings: list | None = None

    @classmethod
    def read(cls, text: str, path: str, markdown_fields: tuple[str, ...] = ()) -> "Source":
        """`markdown_fields`: the front-matter fields that are Markdown (schemas: x-markdown), read as prose."""
        _front, _body, body_line = split_front_matter(text, path)
        source = cls(path, text.splitlines(), body_line)
        for number in range(2, body_line - 1):
            if any(source.lines[number - 1].startswith(f"{name}:") for name in markdown_fields):
                end = number + 1
                while end < body_line - 1 and (not source.lines[end - 1].strip() or source.lines[end - 1][:1].isspace()):
                    end += 1
                source.fields.append(range(number, end))
        return source

    def field_lines(self):
        for lines in self.fields:
            for number in lines:
                text = self.lines[number - 1]
                yield number, text.split(":", 1)[1] if number == lines.start else text

    def in_fields(self, needle: str) -> bool:
        """Whether `needle` is written in a Markdown field of the front matter."""
        return any(needle in text for _number, text in self.field_lines())

    def prose_lines(self):
        """(line number, text) of the Markdown fields and of every body line outside code."""
        yield from self.field_lines()
        for number in range(self.body_line, len(self.lines) + 1):
            if number not in self.code:
                yield number, self.lines[number - 1]

    def _pick(self, kind: str, needle: str, candidates: list[int]) -> int | None:
        """The first candidate line not yet given to an earlier finding of the same needle (the page lists them in
        source order), else the first one."""
        if not candidates:
            return None
        taken = self._taken.setdefault((kind, needle), set())
        line = next((c for c in candidates if c not in taken), candidates[0])
        taken.add(line)
        return line

    def line_of_link(self, href: str, fallback: int) -> int:
        """The line where the link is written: `](href)`, `<href>`, `href="..."`, `[ref]: href` or a bare URL."""
        exact = re.compile(r"(?:^|(?<=[(\s\"'<:]))" + re.escape(href) + r"(?=[)\s\"'>]|$)")
        found = [n for n, text in self.prose_lines() if exact.search(text)]
        return self._pick("link", href, found) or fallback

    def line_of_image(self, src: str, fallback: int) -> int:
        found = [n for n, text in self.prose_lines() if src in text and ("![" in text or "<img" in text.lower())]
        return self._pick("image", src, found) or fallback

    def line_of_heading(self, level: int, text: str, fallback: int) -> int:
        if self._headings is None:
            self._headings = self.headings()
        headings = self._headings
        wanted = _words(text)
        found = [n for n, lv, t in headings if lv == level and _words(t) == wanted]
        found = found or [n for n, lv, t in headings if _words(t) == wanted]
        found = found or [n for n, lv, _t in headings if lv == level]
        return self._pick("heading", f"{level}:{wanted}", found) or fallback

    def headings(self) -> list[tuple[int, int, str]]:
        """(line, level, text) of every ATX, setext and raw HTML heading in the body, outside code."""
        out = []
        previous: tuple[int, str] | None = None
        for number in range(self.body_line, len(self.lines) + 1):
            if number in self.code:
                previous = None
                continue
            line = self.lines[number - 1]
            atx = ATX_RE.match(line)
            setext = SETEXT_RE.match(line)
            raw = RAW_HEADING_RE.search(line)
            if atx:
                out.append((number, len(atx.group(1)), re.sub(r"[ \t]+#+$", "", atx.group(2) or "")))
            elif setext and previous is not None:
                out.append((previous[0], 1 if setext.group(1)[0] == "=" else 2, previous[1]))
            elif raw:
                out.append((number, int(raw.group(1)), line))
            usable = line.strip() and not (atx or setext or ITEM_RE.match(line))
            previous = (number, line) if usable else None  # the text a setext underline would make a heading
        return out


def _words(text: str) -> str:
    """Heading text reduced to letters and digits, so Markdown, HTML, smart quotes and attribute lists all match."""
    text = ATTR_LIST_RE.sub(" ", TAG_RE.sub(" ", html.unescape(text)))
    text = LINK_DEST_RE.sub("]", CALL_RE.sub(" ", text))
    return "".join(ch for ch in text.lower() if ch.isalnum())


# -- Python-Markdown traps -------------------------------------------------------------------------------------
LIST_AFTER_PARAGRAPH = "list directly after a paragraph line renders as plain text: add a blank line before it"
NESTED_TWO = "nested list indented by {n} spaces: Python-Markdown flattens it; indent nested lists by 4 spaces"


def scan_structure(source: Source) -> list[tuple[int, str]]:
    """Mark the code lines of the body (source.code) and return the traps found, as (line, message).

    A line-based model of how Python-Markdown reads blocks: a list starts only after a blank line (or a heading,
    a fence, raw HTML ...); without one, its items continue the paragraph as text. Inside a list, a nested level
    needs 4 more spaces; 1 to 3 more make a sibling item (or text)."""
    traps: list[tuple[int, str]] = []
    fence: tuple[str, int] | None = None
    prev_blank, prev_para, prev_code = True, False, False
    in_list, levels, trap_indent = False, [], None
    swallowed = False  # items already reported as text in the current paragraph
    for number in range(source.body_line, len(source.lines) + 1):
        line = source.lines[number - 1].expandtabs(4)
        if fence is not None:
            source.code.add(number)
            m = FENCE_RE.match(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] and not line[m.end():].strip():
                fence = None
                prev_blank, prev_para = False, False
            continue
        if not line.strip():
            prev_blank, prev_para, swallowed = True, False, False
            continue
        indent = len(line) - len(line.lstrip(" "))
        if not in_list and indent >= 4 and (prev_blank or prev_code):
            source.code.add(number)  # an indented code block
            prev_blank, prev_para, prev_code = False, False, True
            continue
        prev_code = False
        fenced = FENCE_RE.match(line)
        if fenced:
            fence = (fenced.group(1)[0], len(fenced.group(1)))
            source.code.add(number)
            prev_blank, prev_para = False, False
            continue
        item = ITEM_RE.match(line) is not None and not HR_RE.match(line)
        if in_list and not item and prev_blank and indent < 4:
            in_list, levels = False, []  # a blank line, then text that is not indented: the list is over
        if item:
            if not in_list:
                if prev_para:
                    if not swallowed:
                        traps.append((number, LIST_AFTER_PARAGRAPH))
                    swallowed = True  # it is paragraph text now, and so are the items after it
                    continue
                in_list, levels, trap_indent = True, [indent], None
            else:
                while levels and levels[-1] > indent:
                    levels.pop()
                if not levels or indent >= levels[-1] + 4:
                    levels.append(indent)
                    trap_indent = None
                elif indent > levels[-1]:
                    if trap_indent != indent:
                        traps.append((number, NESTED_TWO.format(n=indent - levels[-1])))
                    trap_indent = indent
                else:
                    trap_indent = None
            prev_blank, prev_para = False, False
            continue
        if in_list:
            prev_blank, prev_para = False, False  # a continuation of the item
            continue
        prev_para = not (NOT_PARAGRAPH_RE.match(line) or HR_RE.match(line) or SETEXT_RE.match(line))
        prev_blank = False
    return traps


# -- figures typed into prose ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    line: int
    text: str  # as written
    kind: str  # "money" or "count"
    value: float
    currency: str = ""


def _amount(number: str, scale: str) -> float:
    value = float(number.replace(",", ""))
    return value * SCALES.get(scale.strip().lower(), 1)


def find_figures(source: Source) -> list[Figure]:
    """Money amounts and numbers followed by a word, typed into the prose (not code, not components, not URLs or
    HTML)."""
    found: list[Figure] = []
    for number, text in source.prose_lines():
        if not DIGIT_RE.search(text):
            continue
        text = INLINE_CODE_RE.sub(" ", text)
        text = CALL_RE.sub(" ", text)
        text = ATTR_LIST_RE.sub(" ", TAG_RE.sub(" ", URL_RE.sub(" ", LINK_DEST_RE.sub("]", text))))
        if not DIGIT_RE.search(text):
            continue
        hits: list[tuple[int, Figure]] = []
        for regex in MONEY_RES:
            for m in regex.finditer(text):  # each match is blanked out, so no figure is found twice
                code = m.groupdict().get("code")
                currency = SYMBOLS[m.group("sym")] if m.groupdict().get("sym") else WORDS.get(code.lower(), code)
                figure = Figure(number, m.group(0).strip(), "money", _amount(m.group("num"), m.group("scale")), currency)
                hits.append((m.start(), figure))
                text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        for m in COUNT_RE.finditer(text):
            digits = m.group("num")
            hits.append((m.start(), Figure(number, digits, "count", float(digits.replace(",", "")))))
        found.extend(figure for _start, figure in sorted(hits, key=lambda h: h[0]))
    return found


@dataclass
class DataNumbers:
    """Every number of the data files, by value, where it is written; and, for gaps between two records, each
    numeric field of a file's records by its place in the record ('pay.median')."""

    at: dict[float, list[tuple[str, str, int]]]  # value -> (data.<path>, file, line)
    fields: dict[tuple[str, str], dict[str, float]]  # (file name, field path) -> record key -> value

    @classmethod
    def of(cls, dataset) -> "DataNumbers":
        at: dict[float, list[tuple[str, str, int]]] = {}
        fields: dict[tuple[str, str], dict[str, float]] = {}
        for name, found in sorted(dataset.files.items()):
            records = found.value.items() if isinstance(found.value, dict) else enumerate(found.value) \
                if isinstance(found.value, list) else ()
            for key, record in records:
                record_key = str(record.get("id", key)) if isinstance(record, dict) else str(key)
                for path, value in _leaves(record, (key,)):
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        continue
                    shown = f"data.{name}" + "".join(f".{p}" if isinstance(p, str) and p.isidentifier()
                                                     else f"[{p!r}]" for p in path)
                    at.setdefault(float(value), []).append((shown, found.rel, found.line(*path)))
                    if len(path) > 1:
                        fields.setdefault((name, ".".join(map(str, path[1:]))), {})[record_key] = float(value)
        return cls(at, fields)


def _leaves(value, path: tuple):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def suggestion(figure: Figure, numbers: DataNumbers, article: Article) -> str | None:
    """Where the data holds this figure (a value, or the gap between two records' same field), or None. The
    records the article names come first."""
    if figure.value in numbers.at:
        shown, rel, line = numbers.at[figure.value][0]
        return f"{shown} ({rel}:{line})"
    if figure.kind != "money":
        return None
    mine = [ref.partition("/")[2] for ref in article.refs] + [str(a) for c in article.converted.components
                                                              for a in c.args]
    for (name, place), values in numbers.fields.items():
        named = [k for k in dict.fromkeys(mine) if k in values]
        pairs = named if len(values) > 100 else named + sorted(k for k in values if k not in named)
        for hi in pairs:
            for lo in pairs:
                if values[hi] - values[lo] == figure.value and values[hi] > values[lo]:
                    return f"data.{name}[{hi!r}].{place} - data.{name}[{lo!r}].{place}" if not isinstance(hi, int) \
                        else f"data.{name}[{hi}].{place} - data.{name}[{lo}].{place}"
    return None


YEAR_RE = re.compile(r"(?:19|20)\d\d")


def figure_findings(source: Source, numbers: DataNumbers, article: Article) -> list[tuple[int, str]]:
    """Money typed into prose (in data or not), and other numbers of the prose that a data file holds: each is a
    figure that a data edit would leave behind."""
    out = []
    for figure in find_figures(source):
        if figure.kind == "count" and (figure.value < 10 or YEAR_RE.fullmatch(figure.text)):
            continue  # "3 factors", "the 2026 report": not figures of the data
        use = suggestion(figure, numbers, article)
        if use is not None:
            out.append((figure.line, f'figure "{figure.text}" typed in prose is {use}; insert it with a component '
                                     "that reads the data"))
        elif figure.kind == "money":
            out.append((figure.line, f'figure "{figure.text}" typed in prose and not in any data file; '
                                     "put it in data and insert it with a component"))
    return out
