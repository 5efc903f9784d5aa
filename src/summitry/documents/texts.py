"""The text of a document as negotiators handle it: numbered paragraphs, square brackets
around what is contested, amendments to one paragraph, and a comparison by word.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from summitry.errors import InvalidInput

Texts = dict[str, list[str]]
"""Language → paragraphs."""

MAX_PARAGRAPHS = 400
MAX_PARAGRAPH_CHARS = 8000

_BLANK_LINES = re.compile(r"\n\s*\n")
_WORDS = re.compile(r"\S+\s*")


def paragraphs(text: str) -> list[str]:
    """A text as paragraphs: separated by a blank line, each on one line, none empty."""
    found = [" ".join(p.split()) for p in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    return [p for p in found if p]


def checked(texts: Texts, languages: list[str]) -> Texts:
    """The texts, one per language the document has, each of a sensible size; else why not."""
    unknown = sorted(set(texts) - set(languages))
    if unknown:
        raise InvalidInput(
            f"the document has no {', '.join(unknown)} text: its languages are "
            f"{', '.join(languages)}",
            field="texts",
        )
    for language, paras in texts.items():
        if not paras:
            raise InvalidInput(f"the {language} text is empty: give at least one paragraph")
        if len(paras) > MAX_PARAGRAPHS:
            raise InvalidInput(f"the {language} text has over {MAX_PARAGRAPHS} paragraphs")
        longest = max(len(p) for p in paras)
        if longest > MAX_PARAGRAPH_CHARS:
            raise InvalidInput(
                f"a paragraph of the {language} text is {longest} characters long: "
                f"split it (at most {MAX_PARAGRAPH_CHARS})"
            )
        unbalanced = next((i for i, p in enumerate(paras, 1) if not balanced(p)), None)
        if unbalanced is not None:
            raise InvalidInput(
                f"paragraph {unbalanced} of the {language} text has an unmatched square "
                "bracket: close every [ with ]"
            )
    return {language: list(texts[language]) for language in languages if language in texts}


def digest(texts: Texts) -> str:
    """The SHA-256 that fixes a version's every word in every language (in the log)."""
    canonical = json.dumps(texts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def balanced(paragraph: str) -> bool:
    """Whether every square bracket in the paragraph is closed, none inside another."""
    depth = 0
    for char in paragraph:
        if char == "[":
            depth += 1
            if depth > 1:
                return False
        elif char == "]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def bracketed(texts: Texts) -> list[tuple[str, int]]:
    """Where passages are still in square brackets: (language, paragraph number)."""
    return [
        (language, number)
        for language, paras in texts.items()
        for number, paragraph in enumerate(paras, 1)
        if "[" in paragraph
    ]


@dataclass(frozen=True)
class Change:
    """One amendment as the text takes it."""

    language: str
    paragraph: int
    action: Literal["insert", "delete", "replace"]
    text: str = ""
    bracketed: bool = False


def check_change(texts: Texts, change: Change) -> None:
    """Refuse a change that does not fit the text, saying what would."""
    paras = texts.get(change.language)
    if paras is None:
        raise InvalidInput(
            f"the document has no {change.language} text: its languages are {', '.join(texts)}",
            field="language",
        )
    last = len(paras) + 1 if change.action == "insert" else len(paras)
    if not 1 <= change.paragraph <= last:
        raise InvalidInput(
            f"paragraph {change.paragraph} is not in the {change.language} text: "
            f"give a number from 1 to {last}",
            field="paragraph",
        )
    if change.action != "delete":
        words = " ".join(change.text.split())
        if not words:
            raise InvalidInput("give the text to insert or to replace with", field="text")
        if len(words) > MAX_PARAGRAPH_CHARS:
            raise InvalidInput(f"the text is over {MAX_PARAGRAPH_CHARS} characters long")
        if not balanced(words):
            raise InvalidInput("close every [ with ] in the text", field="text")


def apply(texts: Texts, change: Change) -> Texts:
    """The texts with the change made (the change checked first)."""
    check_change(texts, change)
    paras = list(texts[change.language])
    words = " ".join(change.text.split())
    if change.bracketed and words and not (words.startswith("[") and words.endswith("]")):
        words = f"[{words.replace('[', '').replace(']', '')}]"
    index = change.paragraph - 1
    if change.action == "insert":
        paras.insert(index, words)
    elif change.action == "delete":
        if len(paras) == 1:
            raise InvalidInput("a text keeps at least one paragraph: replace it instead")
        del paras[index]
    else:
        paras[index] = words
    return {**texts, change.language: paras}


Piece = tuple[Literal["same", "added", "removed"], str]


def compare(old: list[str], new: list[str]) -> list[Piece]:
    """Two texts compared, as pieces kept, added and removed, paragraph breaks a newline of
    their own: paragraph by paragraph first, then word by word inside a paragraph that
    changed. (Word by word over the whole text took 23 s for 10,000 words: the matcher is
    quadratic in what it compares.)"""
    paragraphs: list[list[Piece]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            paragraphs += [[("same", p)] for p in old[a1:a2]]
            continue
        pairs = min(a2 - a1, b2 - b1) if op == "replace" else 0
        paragraphs += [_words(old[a1 + i], new[b1 + i]) for i in range(pairs)]
        paragraphs += [[("removed", p)] for p in old[a1 + pairs : a2]]
        paragraphs += [[("added", p)] for p in new[b1 + pairs : b2]]
    pieces: list[Piece] = []
    for number, paragraph in enumerate(paragraphs):
        pieces += [("same", "\n")] if number else []
        pieces += paragraph
    return _merged(pieces)


def _words(old: str, new: str) -> list[Piece]:
    """One paragraph against its new wording, word by word (each word with the space after
    it, so that a phrase replaced reads as one change)."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(before[a1:a2])))
            continue
        pieces += [("removed", "".join(before[a1:a2]))] if a2 > a1 else []
        pieces += [("added", "".join(after[b1:b2]))] if b2 > b1 else []
    return pieces


def _merged(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for kind, words in pieces:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + words)
        else:
            merged.append((kind, words))
    return merged


def as_paragraphs(pieces: list[Piece]) -> list[list[Piece]]:
    """The compared pieces split into paragraphs, for a page or a PDF to lay out."""
    paras: list[list[Piece]] = [[]]
    for kind, words in pieces:
        for i, part in enumerate(words.split("\n")):
            if i:
                paras.append([])
            if part:
                paras[-1].append((kind, part))
    return [p for p in paras if p]


_BRACKETED = re.compile(r"\[[^\[\]]*\]")


def marked(paragraph: str) -> Markup:
    """A paragraph for a page: escaped, its bracketed passages marked as contested."""
    escaped = str(escape(paragraph))
    return Markup(_BRACKETED.sub(lambda m: f'<mark class="bracket">{m.group(0)}</mark>', escaped))  # noqa: S704 - escaped above
