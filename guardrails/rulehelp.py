"""What ``guardrails explain`` says about a rule: built once, rendered as text or Markdown.

``explain`` prints :func:`text`; the session stores the same
:class:`~guardrails.model.RuleHelp` in every report's rules, so a SARIF log
(``fullDescription``, ``help.text``, ``help.markdown``) says what ``explain``
says, also when rendered again from a saved report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from guardrails.model import RuleHelp

if TYPE_CHECKING:
    from guardrails.model import Rule
    from guardrails.plugin import Check, Metric

SECTIONS = (
    ("what", "What it checks"),
    ("why", "Why it matters"),
    ("default", "Default and where it comes from"),
    ("fix", "How to fix a failure"),
    ("data", "Data it needs"),
)
#: explain wraps section text at this width
WIDTH = 88


def check_label(rule: Rule) -> str:
    """``metric:dora.lead_time`` for metric rules, else the check's name."""
    return f"metric:{rule.params['metric']}" if rule.check == "metric" else rule.check


def plain_json(v: Any) -> Any:
    """``v`` as plain JSON values (what ``json.dumps`` cannot write becomes its ``str``)."""
    return json.loads(json.dumps(v, default=str))


def build(rule: Rule, check: Check | None, metrics: Mapping[str, Metric],
          focus: str | None) -> RuleHelp:
    """The help of ``rule`` (``check``: its check, None when unavailable; ``focus``: current)."""
    head = [
        f"{rule.nodeid} - {rule.title}",
        f"check: {check_label(rule)}, severity: {rule.severity.value}, "
        f"tags: {', '.join(rule.tags) or '-'}",
        f"defined in: {rule.file}:{rule.line}{' (builtin)' if rule.builtin else ''}",
    ]
    params = {k: v for k, v in rule.params.items() if k != "metric"}
    if params:
        head.append("parameters:")
        for k, v in params.items():
            note = ""
            if rule.defaults.get(k) != v:
                note = f"  (default {rule.defaults.get(k)!r}"
                note += f", focus {rule.focus_applied})" if rule.focus_applied else ")"
            head.append(f"  {k}: {json.dumps(plain_json(v))}{note}")
    if rule.focus_overrides:
        head.append("focus overrides:")
        for name, ov in rule.focus_overrides.items():
            shown = ", ".join(f"{k}: {json.dumps(plain_json(v))}" for k, v in ov.items())
            mark = "  <- current focus" if name == focus else ""
            head.append(f"  {name}: {shown}{mark}")
    explain = dict(rule.explain)
    if not explain.get("what"):
        explain["what"] = rule.description or (check.doc if check else "")
    needs = sorted(check.needs(rule, metrics)) if check else []
    data = (explain.get("data") or "").rstrip()  # a folded `data: >` ends in a newline
    if needs:
        data = (data + "\n" if data else "") + f"Fact kinds read: {', '.join(needs)}."
    explain["data"] = data
    sections = [(heading, (explain.get(key) or "").strip()) for key, heading in SECTIONS]
    return RuleHelp(head=head, sections=[(h, t) for h, t in sections if t])


def text(help: RuleHelp) -> str:
    """The help as ``guardrails explain`` prints it (lines joined by newlines)."""
    import textwrap  # here: a check run builds help but seldom prints it as text

    from guardrails.textsafe import inert_line, printable

    # The head's lines quote the rule's title, tags and file: each stays one line (a
    # newline there is shown as \n). No line, of the head or of a rule's text, may
    # pass for a CI workflow command ('::error', indented or not).
    lines = [printable(line) for line in help.head]
    for heading, body in help.sections:
        lines += ["", heading]
        for para in body.splitlines():
            lines.append(textwrap.fill(para, width=WIDTH, initial_indent="  ",
                                       subsequent_indent="  ") if para.strip() else "")
    return "\n".join(inert_line(line) for line in "\n".join(lines).split("\n"))


def summary(help: RuleHelp) -> str:
    """What the rule checks (that section's text, or ""), for SARIF's ``fullDescription``."""
    what = SECTIONS[0][1]
    return next((text for heading, text in help.sections if heading == what), "")


def _md(text: str) -> str:
    """Rule text as Markdown prose: no HTML, link or emphasis syntax from a rule file."""
    for ch in "\\`*_[]<>|&!#":
        text = text.replace(ch, "\\" + ch)
    return text


def markdown(help: RuleHelp) -> str:
    """The help as Markdown: the head as a code block, each section under a heading."""
    # A fence longer than any run of backticks in the text, so none can close it.
    longest = max((len(run) for line in help.head for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    out = [fence, *help.head, fence]
    for heading, body in help.sections:
        out += ["", f"**{heading}**"]
        out += ["\n" + _md(p) for p in body.splitlines() if p.strip()]
    return "\n".join(out)
