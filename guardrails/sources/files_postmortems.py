"""Reading one postmortem of the org data folder (``files`` source).

A ``postmortems/*.md`` file is YAML front matter and ``## `` sections
(:mod:`guardrails.sources.postmortem` parses them); its front matter is
checked as one record of the ``postmortems`` schema and becomes the fact,
with the sections, their lines and the file's lines beside it (rules read
them; evidence points into them). A postmortem a run with this code found
valid, to the byte, comes from the fact cache unparsed. Which files are
postmortems, and whether they are safe to read, is
:mod:`guardrails.sources.files_folder`'s.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails import yamlio
from guardrails.sections import normalize_sections
from guardrails.sources import postmortem
from guardrails.sources.files_cache import FactCache, digest
from guardrails.sources.files_formats import (
    Table,
    file_known_valid,
    record_check,
    remember_file,
    spells_nul,
)
from guardrails.sources.files_tables import NO_CHECK, valid_record

if TYPE_CHECKING:
    from guardrails.safeopen import SafeOpener


def read_postmortem(path: Path, display: str, timezone: tzinfo | None,
                    cache: FactCache | None = None,
                    opener: SafeOpener | None = None) -> dict[str, Any]:
    """The fact of the postmortem at ``path`` (shown as ``display``), validated.

    Raises :class:`guardrails.errors.DataFileError` naming the line at fault.
    ``opener``: what opens the file checked (guardrails.safeopen).
    """
    raw = yamlio.read_bytes(path, display, opener)
    key = digest(raw) if cache is not None else ""
    stored = cache.postmortem(key) if cache is not None else None
    check = NO_CHECK
    blob = None
    if stored is not None:  # parsed from these very bytes by a run that found it valid
        front, sections, section_lines, normalized, lines, body_line = stored
        known = True
    else:
        text = yamlio.decode_text(raw, display)
        if "\0" in text:  # the YAML front matter refuses one; the markdown would not
            from guardrails.sources.files_nul import refuse_nul

            refuse_nul(text, display)
        doc = postmortem.parse(text, display, positions=False)
        front, sections, section_lines = doc.front, doc.sections, doc.section_lines
        normalized, lines, body_line = (normalize_sections(doc.sections), doc.lines,
                                        doc.body_line)
        if cache is not None:  # taken before validation changes the front matter
            blob = cache.snapshot_postmortem(
                (front, sections, section_lines, normalized, lines, body_line), len(raw))
        check = record_check("postmortems")
        # The schema verdict is remembered by the fact cache when it keeps the file
        # (a stored postmortem is known valid): looking it up and keeping it in the
        # verdict cache too cost two digests a file, and 4,096 postmortems filled
        # that cache, which then kept nothing (not even the config's verdict).
        known = blob is None and file_known_valid(check, ".md", text)
    # Front matter positions only when an error needs them: the YAML text
    # again, after a blank line for the opening '---' so lines match the file.
    table = Table(display, [front], text=postmortem.front_text(lines, body_line),
                  single=True)
    if stored is None and spells_nul(table.text or "", json=False):
        from guardrails.sources.files_nul import refuse_escaped_nul

        refuse_escaped_nul(table, display)
    front = valid_record(front, check, "postmortems", table, 0, timezone, known=known)
    if stored is None and not known and blob is None:
        remember_file(check, ".md", text)
    if blob is not None and cache is not None:
        cache.keep_postmortem(key, blob)
    front.update(
        id=path.name,
        file=display,
        sections=sections,
        section_lines=section_lines,
        sections_normalized=normalized,
        lines=lines,
        body_line=body_line,
    )
    return front
