"""Every user-visible text of the platform is marked for translation (issue 23, item 6).

The templates are split with Django's own lexer (``django.template.base.tag_re``, as
``Lexer.tokenize`` splits them) and compiled with its parser; what lies outside
``{% translate %}`` and ``{% blocktranslate %}`` is then read as HTML: a text between
tags, or a user-visible attribute (``alt``, ``title``, ``aria-label``, ``placeholder``...),
that holds a letter fails the test, named by file and line.  So do literal strings a
template shows through ``default``, ``default_if_none`` and ``yesno``, and sentences handed
to an ``{% include ... with %}`` (mark them ``_("...")``).

Markup, whitespace, punctuation, variables, ``{% comment %}`` and the contents of
``<script>``, ``<style>``, ``<code>``, ``<pre>``, ``<kbd>`` and ``<samp>`` (code and data) are
not text; ``ALLOWED`` lists the few words that are not
translated (units, symbols), each with its reason.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template import engines
from django.template.base import tag_re
from django.test import override_settings
from django.utils import translation

SOURCE = Path(__file__).resolve().parents[1] / "src" / "whatworks"

#: Parts of the platform, each with the templates under ``src/whatworks/<part>/templates``.
PARTS = ("core", "evidence", "registry", "pilots", "panel", "forum", "events", "calls", "news")

#: Texts shown as they are in every language, and why.
ALLOWED: dict[str, str] = {
    "SHA-256": "the name of a hash function",
    "ORCID": "a proper name (the researcher identifier)",
    "DOI": "an identifier scheme's name",
    "R": "the statistics program's name",
}

#: Attributes a person reads or hears (screen readers announce aria-* and title).
VISIBLE_ATTRIBUTES = frozenset(
    {
        "alt",
        "title",
        "aria-label",
        "aria-description",
        "aria-roledescription",
        "aria-valuetext",
        "placeholder",
        "label",
        "data-confirm",
    }
)
#: Elements whose contents are code or data, not words: never translated.
UNREAD_ELEMENTS = frozenset({"script", "style", "code", "pre", "kbd", "samp"})
#: ``value`` is visible on buttons made of inputs only.
BUTTON_TYPES = frozenset({"submit", "button", "reset"})

VAR, BLOCK = "\x00", "\x01"
PLACEHOLDERS = VAR + BLOCK

LITERAL_ARG = re.compile(r"""\|(default|default_if_none|yesno):(?P<q>["'])(?P<text>.*?)(?P=q)""")
KWARG_LITERAL = re.compile(r"""\b\w+=(?P<q>["'])(?P<text>.*?)(?P=q)""")


@dataclass(frozen=True)
class Piece:
    """One token of a template: its raw text, kind and where it starts in the source."""

    kind: str  # "text", "var", "block" or "comment"
    raw: str
    start: int

    @property
    def contents(self) -> str:
        return self.raw[2:-2].strip() if self.kind != "text" else self.raw


def pieces(source: str) -> list[Piece]:
    """The template's tokens as Django's lexer cuts them, with their raw source."""
    out: list[Piece] = []
    offset = 0
    in_tag = False
    for token_string in tag_re.split(source):
        if token_string:
            kind = "text"
            if in_tag:
                kind = {"{{": "var", "{%": "block", "{#": "comment"}[token_string[:2]]
            out.append(Piece(kind, token_string, offset))
            offset += len(token_string)
        in_tag = not in_tag
    return out


def _tag_name(piece: Piece) -> str:
    return piece.contents.split(None, 1)[0] if piece.contents else ""


@dataclass
class Shadow:
    """The template with each tag replaced by one character, mapped back to the source.

    Template text stays as it is; a variable becomes ``VAR``; any other tag, a whole
    ``{% blocktranslate %}``, ``{% comment %}`` or ``{% verbatim %}`` and any comment become
    ``BLOCK``.
    """

    text: str
    origin: list[int]  # the source offset of each character of ``text``
    ends: list[int]  # the source offset just after each character

    @classmethod
    def of(cls, source: str) -> Shadow:
        chars: list[str] = []
        origin: list[int] = []
        ends: list[int] = []
        skip_until: tuple[str, ...] = ()
        region_start = 0
        for piece in pieces(source):
            name = _tag_name(piece) if piece.kind == "block" else ""
            if skip_until:
                if name in skip_until:
                    chars.append(BLOCK)
                    origin.append(region_start)
                    ends.append(piece.start + len(piece.raw))
                    skip_until = ()
                continue
            if name in ("blocktranslate", "blocktrans"):
                skip_until = ("endblocktranslate", "endblocktrans")
                region_start = piece.start
            elif name in ("comment", "verbatim"):
                skip_until = (f"end{name}",)
                region_start = piece.start
            elif piece.kind == "text":
                chars.extend(piece.raw)
                origin.extend(range(piece.start, piece.start + len(piece.raw)))
                ends.extend(range(piece.start + 1, piece.start + len(piece.raw) + 1))
            else:
                chars.append(VAR if piece.kind == "var" else BLOCK)
                origin.append(piece.start)
                ends.append(piece.start + len(piece.raw))
        return cls("".join(chars), origin, ends)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.ends[end - 1]


@dataclass(frozen=True)
class Span:
    """A stretch of the shadow that a person reads: text between tags, or an attribute."""

    start: int
    end: int
    attribute: str = ""


TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
ATTR_NAME = re.compile(r"[^\s=>/\"'" + PLACEHOLDERS + r"]+")


def _scan_tag(text: str, i: int) -> tuple[int, str, list[tuple[str, int, int]]]:
    """Read the HTML tag starting at ``text[i] == '<'``: its end, name and attributes."""
    j = i + 1
    closing = text.startswith("/", j)
    if closing:
        j += 1
    match = TAG_NAME.match(text, j)
    name = match.group(0).lower() if match else ""
    j = match.end() if match else j
    attributes: list[tuple[str, int, int]] = []
    while j < len(text) and text[j] != ">":
        attr = ATTR_NAME.match(text, j)
        if not attr:
            j += 1
            continue
        attr_name = attr.group(0).lower()
        j = attr.end()
        if text.startswith("=", j):
            j += 1
            if j < len(text) and text[j] in "\"'":
                quote = text[j]
                close = text.find(quote, j + 1)
                close = len(text) if close < 0 else close
                attributes.append((attr_name, j + 1, close))
                j = close + 1
            else:
                value = ATTR_NAME.match(text, j)
                if value:
                    attributes.append((attr_name, j, value.end()))
                    j = value.end()
    return j + 1, ("/" if closing else "") + name, attributes


def _is_tag_start(text: str, i: int) -> bool:
    nxt = text[i + 1 : i + 2]
    return nxt.isalpha() or nxt in ("/", "!")


def readable_spans(shadow: str, *, html: bool = True) -> list[Span]:
    """The stretches of ``shadow`` a person reads: texts between tags, visible attributes."""
    if not html:
        return [Span(0, len(shadow))]
    spans: list[Span] = []
    i = 0
    data_start = 0
    while i < len(shadow):
        if shadow[i] != "<" or not _is_tag_start(shadow, i):
            i += 1
            continue
        if data_start < i:
            spans.append(Span(data_start, i))
        if shadow.startswith("<!--", i):
            close = shadow.find("-->", i)
            i = len(shadow) if close < 0 else close + 3
        else:
            end, name, attributes = _scan_tag(shadow, i)
            values = {attr: shadow[s:e] for attr, s, e in attributes}
            for attr, s, e in attributes:
                visible = attr in VISIBLE_ATTRIBUTES or (
                    attr == "value" and name == "input" and values.get("type") in BUTTON_TYPES
                )
                if visible and s < e:
                    spans.append(Span(s, e, attr))
            i = end
            if name in UNREAD_ELEMENTS:
                close = shadow.lower().find(f"</{name}", i)
                i = len(shadow) if close < 0 else close
        data_start = i
    if data_start < len(shadow):
        spans.append(Span(data_start, len(shadow)))
    return spans


def is_text(fragment: str) -> bool:
    """Whether a person reads ``fragment`` as words (it holds a letter, and is not allowed)."""
    words = fragment.strip(PLACEHOLDERS + " \t\r\n")
    for placeholder in PLACEHOLDERS:
        words = words.replace(placeholder, " ")
    words = " ".join(words.split())
    return any(ch.isalpha() for ch in words) and words not in ALLOWED


def _line(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def unmarked(source: str, name: str) -> list[str]:
    """``name:line: text`` for every user-visible text of a template outside translation."""
    shadow = Shadow.of(source)
    html = not name.endswith(".txt")
    found: list[str] = []
    for span in readable_spans(shadow.text, html=html):
        for start, end in _units(shadow.text, span):
            if is_text(shadow.text[start:end]):
                offset = shadow.source_span(start, end)[0]
                where = f" ({span.attribute}=)" if span.attribute else ""
                text = " ".join(shadow.text[start:end].replace(VAR, "{{…}}").split())
                found.append(f"{name}:{_line(source, offset)}{where}: {text}")
    skipping = ""
    for piece in pieces(source):
        tag = _tag_name(piece) if piece.kind == "block" else ""
        if skipping:
            skipping = "" if tag.startswith(skipping) else skipping
            continue
        if tag in ("blocktranslate", "blocktrans", "comment"):
            skipping = "endblocktrans" if tag.startswith("blocktrans") else "endcomment"
            continue
        if piece.kind not in ("var", "block"):
            continue
        literals = list(LITERAL_ARG.finditer(piece.contents))
        if tag in ("include", "with"):
            literals += list(KWARG_LITERAL.finditer(piece.contents))
        for literal in literals:
            text = literal.group("text")
            if is_text(text) and (" " in text or text[:1].isupper()):
                found.append(
                    f"{name}:{_line(source, piece.start)} (literal): {literal.group('text')}"
                )
    return found


def _units(shadow: str, span: Span) -> list[tuple[int, int]]:
    """A readable span cut at template tags: each piece is one message to translate."""
    units: list[tuple[int, int]] = []
    start = span.start
    for i in range(span.start, span.end):
        if shadow[i] == BLOCK:
            units.append((start, i))
            start = i + 1
    units.append((start, span.end))
    return [(s, e) for s, e in units if s < e]


def templates(part: str) -> list[Path]:
    return sorted(
        path
        for path in (SOURCE / part / "templates").rglob("*")
        if path.is_file() and path.suffix in (".html", ".txt")
    )


@pytest.mark.parametrize("part", PARTS)
def test_every_template_text_is_marked_for_translation(part: str) -> None:
    found = [
        line
        for path in templates(part)
        for line in unmarked(path.read_text(encoding="utf-8"), path.relative_to(SOURCE).as_posix())
    ]
    assert not found, f"{len(found)} texts are not marked for translation:\n" + "\n".join(found)


@pytest.mark.parametrize("part", PARTS)
def test_every_template_compiles(part: str) -> None:
    engine = engines["django"]
    for path in templates(part):
        engine.from_string(path.read_text(encoding="utf-8"))


def test_the_checker_finds_text_attributes_and_literals_but_not_markup() -> None:
    """A hand-made template: what the checker must find, and what it must let through."""
    source = (
        '{% load i18n %}<p class="lead">Plain words</p>\n'
        '<img alt="A chart" src="x.png"> <span title="{% translate "Marked" %}">·</span>\n'
        '{% translate "Done" %} {% blocktranslate %}Also {{ done }}{% endblocktranslate %}\n'
        "<script>var words = 'not text';</script>{% comment %}Not text{% endcomment %}\n"
        '{{ x|default:"Not yet" }} {% include "a.html" with empty="Nothing here." %}\n'
        "<td>{{ n }} — {{ m }}</td><td>SHA-256</td>"
        '<input type="submit" value="Send"><input type="hidden" value="secret words">\n'
    )
    assert unmarked(source, "sample.html") == [
        "sample.html:1: Plain words",
        "sample.html:2 (alt=): A chart",
        "sample.html:6 (value=): Send",
        "sample.html:5 (literal): Not yet",
        "sample.html:5 (literal): Nothing here.",
    ]


# --- Python: the messages a person reads ---------------------------------------------------

#: Keyword arguments whose string a person reads (form and model fields, admin).
VISIBLE_KEYWORDS = frozenset(
    {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label", "subject"}
)
#: Lists of sentences that are shown together (every problem of a form or file at once).
PROBLEM_LISTS = frozenset({"problems", "errors", "reasons"})
#: Exceptions of the platform's own that carry a message for people, besides ValidationError.
GETTEXT_NAMES = frozenset(
    {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
)


def _error_classes() -> set[str]:
    """``ValidationError`` and the platform's exceptions (``class XError(...)`` in src)."""
    names = {"ValidationError"}
    for path in SOURCE.rglob("*.py"):
        names.update(re.findall(r"^class (\w+Error)\(", path.read_text(encoding="utf-8"), re.M))
    # Settings raise ConfigError while loading, before translations can be set up.
    return names - {"ConfigError"}


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_words(node: ast.expr) -> bool:
    """A string literal (or f-string) that holds words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return is_text(node.value) and (" " in node.value.strip() or node.value[:1].isupper())
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
        return is_text(text)
    return False


def python_unmarked(source: str, name: str, errors: set[str]) -> list[str]:
    """``name:line: text`` for each user-visible string of a module outside gettext."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []

    def flag(node: ast.expr, why: str) -> None:
        if isinstance(node, ast.IfExp):
            flag(node.body, why)
            flag(node.orelse, why)
        elif isinstance(node, (ast.List, ast.Tuple)) and why == "consequences":
            for element in node.elts:
                flag(element, why)
        elif _is_words(node):
            text = ast.get_source_segment(source, node) or ""
            found.append((node.lineno, f"{name}:{node.lineno} ({why}): {' '.join(text.split())}"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee in GETTEXT_NAMES:
                continue
            if callee in errors and node.args:
                flag(node.args[0], callee)
                if isinstance(node.args[0], ast.Dict):
                    for value in node.args[0].values:
                        flag(value, callee)
            if callee in {"success", "info", "warning", "error", "add_message"} and (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "messages"
            ):
                for arg in node.args[1:]:
                    flag(arg, "message")
            if callee == "Confirmation":
                for keyword in node.keywords:
                    if keyword.arg in ("title", "button", "cancel_text", "consequences"):
                        flag(keyword.value, keyword.arg or "")
                    if keyword.arg == "details" and isinstance(
                        keyword.value, (ast.List, ast.Tuple)
                    ):
                        for pair in keyword.value.elts:
                            if isinstance(pair, ast.Tuple) and pair.elts:
                                flag(pair.elts[0], "details")
            if (
                callee == "append"
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in PROBLEM_LISTS
                and node.args
            ):
                flag(node.args[0], node.func.value.id)
            if callee == "add_error" and len(node.args) > 1:
                flag(node.args[1], "add_error")
            for keyword in node.keywords:
                if keyword.arg in VISIBLE_KEYWORDS:
                    flag(keyword.value, keyword.arg)
                if keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                    for value in keyword.value.values:
                        flag(value, keyword.arg)
                if keyword.arg == "choices" and isinstance(keyword.value, (ast.List, ast.Tuple)):
                    for choice in keyword.value.elts:
                        if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                            flag(choice.elts[1], "choices")
        if isinstance(node, ast.ClassDef) and any(
            isinstance(base, (ast.Name, ast.Attribute))
            and (base.id if isinstance(base, ast.Name) else base.attr).endswith("Choices")
            for base in node.bases
        ):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                    flag(statement.value.elts[-1], "choice label")
        if isinstance(node, ast.ClassDef) and node.name == "Meta":
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id in VISIBLE_KEYWORDS
                ):
                    flag(statement.value, statement.targets[0].id)
    return [text for _, text in sorted(found)]


def modules(part: str) -> list[Path]:
    """A part's modules, but migrations and demo content (data, loaded in English)."""
    root = SOURCE / part
    return sorted(
        path
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and path.name != "demo.py"
    )


@pytest.mark.parametrize("part", PARTS)
def test_every_python_message_is_marked_for_translation(part: str) -> None:
    errors = _error_classes()
    found = [
        line
        for path in modules(part)
        for line in python_unmarked(
            path.read_text(encoding="utf-8"), path.relative_to(SOURCE).as_posix(), errors
        )
    ]
    assert not found, f"{len(found)} messages are not marked for translation:\n" + "\n".join(found)


# --- The catalogue ---------------------------------------------------------------------------

CATALOGUE = SOURCE / "locale" / "en_GB" / "LC_MESSAGES" / "django.po"


@dataclass(frozen=True)
class Entry:
    """One message of a .po file."""

    context: str
    msgid: str
    plural: str
    fuzzy: bool


def catalogue_entries(text: str) -> list[Entry]:
    """The messages of a .po file, the header and obsolete (``#~``) entries left out."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current = ""

    def finish() -> None:
        if fields.get("msgid"):
            entries.append(
                Entry(
                    fields.get("msgctxt", ""),
                    fields["msgid"],
                    fields.get("msgid_plural", ""),
                    "fuzzy" in flags,
                )
            )
        fields.clear()
        flags.clear()

    for line in [*text.splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if fields:
                finish()
            continue
        if line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[current] += ast.literal_eval(line)
        else:
            current, _, value = line.partition(" ")
            fields[current] = ast.literal_eval(value)
    return entries


def _gettext_tools() -> None:
    if shutil.which("xgettext") is None or shutil.which("msgfmt") is None:
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is missing: .ci/run installs Debian's gettext package")
        pytest.skip("GNU gettext (xgettext, msgfmt) is not installed")


@pytest.mark.slow
def test_the_catalogue_holds_every_marked_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make messages`` has been run: makemessages on a copy finds the committed messages."""
    _gettext_tools()
    copy = tmp_path / "whatworks"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static"))
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["en_GB"], no_location=True, verbosity=0)
    fresh = {(e.context, e.msgid, e.plural) for e in catalogue_entries(_po(copy))}
    committed = {
        (e.context, e.msgid, e.plural)
        for e in catalogue_entries(CATALOGUE.read_text(encoding="utf-8"))
    }
    missing, stale = sorted(fresh - committed), sorted(committed - fresh)
    assert not missing and not stale, (
        "The catalogue is out of date: run `make messages`.\n"
        f"Not in it ({len(missing)}): {[m[1] for m in missing[:20]]}\n"
        f"No longer marked ({len(stale)}): {[s[1] for s in stale[:20]]}"
    )


def _po(root: Path) -> str:
    return (root / "locale" / "en_GB" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def test_the_catalogue_has_no_fuzzy_or_duplicate_entries() -> None:
    entries = catalogue_entries(CATALOGUE.read_text(encoding="utf-8"))
    assert entries, "the catalogue is empty"
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    keys = [(e.context, e.msgid) for e in entries]
    duplicates = sorted({key[1] for key in keys if keys.count(key) > 1})
    assert not fuzzy, f"fuzzy entries: {fuzzy[:20]}"
    assert not duplicates, f"duplicate entries: {duplicates[:20]}"
    header = CATALOGUE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: en_GB\\n"' in header


def test_the_catalogue_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """compilemessages (msgfmt --check-format) accepts the committed catalogue."""
    _gettext_tools()
    locale = tmp_path / "locale"
    shutil.copytree(CATALOGUE.parents[2], locale)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command("compilemessages", locale=["en_GB"], verbosity=0)
    assert (locale / "en_GB" / "LC_MESSAGES" / "django.mo").stat().st_size > 0


def test_marking_changes_no_english_text() -> None:
    """In en-GB every marked message reads as written: no installed catalogue (Django's
    own en_GB one, a package's) translates one of ours into other words."""
    entries = catalogue_entries(CATALOGUE.read_text(encoding="utf-8"))
    with translation.override("en-gb"):
        changed = [
            e.msgid
            for e in entries
            if (
                translation.npgettext(e.context, e.msgid, e.plural, 1)
                if e.context and e.plural
                else translation.pgettext(e.context, e.msgid)
                if e.context
                else translation.ngettext(e.msgid, e.plural, 1)
                if e.plural
                else translation.gettext(e.msgid)
            )
            != e.msgid
        ]
    assert not changed, f"translated in en-GB: {changed[:20]}"
