"""Data text made safe to print: no control characters, no escape sequences.

Titles, ids, handles, evidence details and messages come from files and HTTP
answers a stranger may have written. Printed raw, an ``ESC ]`` (OSC) sequence
can retitle a terminal or forge a hyperlink, ``ESC [2J`` can wipe the screen,
a carriage return can overwrite a line, a newline can forge a GitHub
``::error`` command, and a lone surrogate cannot be encoded at all.
:func:`printable` shows every such character as a Python-style escape
(``\\x1b``, ``\\r``, ``\\u202e``, ``\\ud800``), so the text stays readable and
inert, with or without colour. Reporters call it on data; their own colour
codes are added afterwards.

Messages quote user text with :func:`excerpt` / :func:`quoted` instead: short
and one line. An error message may show what it refuses, but only a little of
it: a cell of a 10 MB CSV file, an escape sequence that would repaint the
terminal, or a line of a file the user did not mean to show must not be
echoed whole.
"""

from __future__ import annotations

import functools
import re

# Every character these classes name is one ``str.isprintable()`` refuses
# (categories Cc, Cf, Cs, Zl, Zp), so text that is all printable has none and is
# returned as it is; a class is compiled only for the rest (each takes ~0.5 ms
# to compile, a start-up cost most runs never need).
_CLASSES = {
    # C0 controls (tab and, optionally, newline aside), DEL, C1 controls, lone
    # surrogates, and the bidirectional overrides/isolates that reorder what a
    # terminal shows ("Trojan Source").
    "unsafe": "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]",
    "unsafe_nl": "[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]",
    # Every control character, newline and tab included (a quote stays on one
    # line), the Unicode line separators, and lone surrogates.
    "quote": r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]",
    # What JSON may hold raw that a terminal or a log reader acts on (inert_json).
    "json": "[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]",
    # What XML 1.0 cannot carry (C0 controls but tab, LF and CR; lone surrogates;
    # U+FFFE/U+FFFF) and what "json" names (xml_text).
    "xml": "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
           "\ud800-\udfff\ufffe\uffff]",
}


@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(_CLASSES[name])


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, newlines: bool = False) -> str:
    """``text`` as ``str`` with control characters and escapes shown, not obeyed.

    ``newlines=True`` keeps line breaks (for multi-line blocks a reporter
    splits itself); by default a newline is shown as ``\\n`` so one value
    stays one line. ``##[`` is shown as ``##\\[``: a CI runner obeys it anywhere.
    """
    s = "" if text is None else str(text)
    if not s.isprintable():
        s = _pattern("unsafe" if newlines else "unsafe_nl").sub(_escape, s)
    # GitHub's runner also takes "##[error]..." for a command anywhere in a line (its
    # older syntax, "##[stop-commands]" among them): broken up, shown, never obeyed
    return s.replace("##[", "##\\[") if "##[" in s else s


def inert_line(text: str) -> str:
    """One printed line that no CI runner takes for a command of its own.

    GitHub Actions reads any output line that starts with ``::`` (after leading
    blanks) as a workflow command (``::error``, ``::add-mask``,
    ``::stop-commands``); a line whose start comes from data (a file's name, a
    rule's title, a line of a description) gets a leading backslash instead.
    """
    return "\\" + text if text.lstrip().startswith("::") else text


def inert_json(text: str) -> str:
    """JSON text (as ``json.dumps`` writes it) that a terminal or a CI runner shows
    and never obeys, and that still parses to the same values.

    ``json.dumps`` escapes C0 controls, not C1 controls (``\\x9b`` is a CSI on
    some terminals), bidirectional overrides or line separators, and ``##[``, which
    GitHub's runner obeys anywhere in a line, may sit inside any string: each is
    written as a ``\\uXXXX`` escape instead. JSON's own structure is ASCII, so
    these stand only inside strings, where the escape means the same character.
    """
    if "##[" in text:
        text = text.replace("##[", "##\\u005b")
    if text.isascii():
        return text
    return _pattern("json").sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def xml_text(text: object) -> str:
    """``text`` for an XML 1.0 document (JUnit), shown and never obeyed: the characters
    XML cannot carry, and those :func:`inert_json` escapes (C1 controls and DEL, the
    bidirectional overrides and isolates, the line separators), as ``\\xNN`` /
    ``\\uNNNN``. Tab, line feed and carriage return are kept: findings are lines.
    """
    s = "" if text is None else str(text)
    if s.isprintable():
        return s
    return _pattern("xml").sub(_hex_escape, s)


def inert_xml(document: str) -> str:
    """An XML document whose ``##[`` (GitHub's runner obeys it anywhere in a logged line,
    and a report written to standard output is logged) is ``##&#91;``: a character
    reference, the same ``[`` to every XML reader. XML's own markup never holds ``##[``,
    so it stands only in text and attribute values."""
    return document.replace("##[", "##&#91;") if "##[" in document else document


#: Characters of user text an error message quotes at most.
LIMIT = 80


def _hex_escape(m: re.Match[str]) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def excerpt(text: object, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters (with ``...``), control characters escaped."""
    s = text if isinstance(text, str) else repr(text)
    cut = len(s) > limit
    if cut:
        s = s[:limit]
    if not s.isprintable():
        s = _pattern("quote").sub(_hex_escape, s)
    return s + "..." if cut else s


def quoted(text: object, limit: int = LIMIT) -> str:
    """:func:`excerpt` in single quotes, for values inside a sentence."""
    return "'" + excerpt(text, limit).replace("'", "\\'") + "'"


# -- URLs: what a message may show of one -------------------------------------------

#: Query parameters whose values a message shows: the paging and filter parameters
#: guardrails' own sources send (and their APIs' next links carry back), none of
#: which holds a credential. Any other parameter, a token pasted into ``api_url``
#: or a signature in a server's next link, is shown as ``***``.
SHOWN_PARAMS = frozenset({
    "archived", "created", "direction", "end_date", "environment", "environment_tiers[]",
    "id_after", "include_subgroups", "interval", "issue_type", "labels", "limit", "metric",
    "offset", "order", "order_by", "page", "pagination", "per_page", "query", "scope",
    "service_ids[]", "since", "sort", "sort_by", "start_date", "state", "statuses[]",
    "time_zone", "total", "until", "updated_after", "with_shared",
})


def safe_query(query: str) -> str:
    """A URL's query as a message may show it: each ``name=value`` part whose name is
    in :data:`SHOWN_PARAMS` as it is, every other part ``***``, name and all (an unknown
    name may itself be the secret, ``?ghp_...``).

    The one rule for every URL guardrails prints, a config value quoted by a schema
    error (:func:`hide_url_secrets`) or a request named in a source's message
    (``HttpClient.shown``): a token is never printed, whatever its parameter is called,
    and ``page=3&per_page=100`` still says which request failed.
    """
    if not query:
        return query
    from urllib.parse import unquote_plus

    return "&".join(
        part if (name := part.partition("=")[0]) and "=" in part
        and unquote_plus(name) in SHOWN_PARAMS else "***"
        # a part ends at "&" and at ";", which servers read alike: the second part of
        # "?page=1;access_token=..." is not the page's value
        for part in re.split(r"[&;]", query))


#: a URL's scheme, user info (``user:pass@``, up to the authority's last ``@``: a
#: password may hold one), the rest up to its query, the query and the fragment; it
#: ends at white space or a quote (a schema error quotes the value; one holding a
#: quote or white space is not quoted at all, see guardrails.validation)
_URL = (r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s'\"]*@)?([^?#\s'\"]*)(\?[^#\s'\"]*)?"
        r"(#[^\s'\"]*)?")


def hide_url_secrets(text: str) -> str:
    """``text`` with every URL's user info shown as ``***@``, its query as
    :func:`safe_query` shows it and its fragment as ``#***``: a schema error quotes
    the value it refuses, and an ``api_url`` may carry a token in any of them."""
    if "://" not in text:
        return text
    return _url_pattern().sub(
        lambda m: m.group(1) + ("***@" if m.group(2) else "") + m.group(3)
        + ("?" + safe_query(m.group(4)[1:]) if m.group(4) else "")
        + ("#***" if m.group(5) else ""), text)


@functools.cache
def _url_pattern() -> re.Pattern[str]:
    return re.compile(_URL)  # compiled only for a message quoting a URL


__all__ = ["LIMIT", "SHOWN_PARAMS", "excerpt", "hide_url_secrets", "inert_line", "printable",
           "quoted", "safe_query"]
