"""Which catalogue indicators might measure a plan's outcome or milestone: pure text matching.

An indicator is suggested for a text when they share words: the outcome's (or milestone's)
words and its objective's title against the indicator's title, why it matters and the plan
objectives it says it monitors. Words are lower-cased, reduced to a crude stem (plural,
"-ing", "-ed", "-ion" endings dropped) and stop words left out; a few abbreviations the plans use
are spelt out first ("C. Difficile", "TIA", "RTT"). Words of the outcome's own text count
twice those of its objective's title. Ties go to the indicator whose title the texts cover most (the plainer of two variants:
"C. difficile infections" before "... apportioned to the acute trust"), then the catalogue's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

STOP = frozenset({
    "about", "above", "after", "again", "against", "all", "also", "among", "and", "any", "are",
    "as", "at", "be", "been", "being", "both", "but", "by", "can", "could", "does", "each",
    "for", "from", "further", "had", "has", "have", "having", "here", "how", "into", "its",
    "more", "most", "must", "not", "now", "off", "once", "only", "other", "our", "out", "over",
    "own", "same", "should", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "through", "too", "under", "until", "very", "was",
    "were", "what", "when", "where", "which", "while", "will", "with", "within", "would", "your",
    "year", "years", "per", "plan", "plans", "patient", "patients", "service", "services",
    "care", "improve", "improved", "improvement", "increase", "increased", "reduce", "reduction",
    "reduced", "ensure", "deliver", "delivery", "provide", "provision", "better", "local",
    "locality", "national",
})  # fmt: skip
SPELT_OUT = (
    (re.compile(r"\bc\.?\s*diff(icile)?\b", re.I), " clostridium difficile "),
    (re.compile(r"\btia\b", re.I), " transient ischaemic attack tia "),
    (re.compile(r"\brtt\b|\b18 ?weeks?\b", re.I), " referral treatment 18 weeks "),
    (re.compile(r"\bcall to needle\b", re.I), " thrombolysis thrombolysed stroke "),
    (re.compile(r"\bquitters?\b", re.I), " smoking quitters "),
    (re.compile(r"\banti-?biotics?\b", re.I), " antibiotic "),
    (re.compile(r"\bchoose ?& ?book\b", re.I), " choose book "),
    (re.compile(r"\bend of life\b", re.I), " deaths usual place residence "),
    (re.compile(r"\bover 75s\b", re.I), " aged 75 "),
)
WORD = re.compile(r"[a-z][a-z0-9]+")


def stem(word: str) -> str:
    for ending in ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def words(text: str) -> set[str]:
    """The text's stemmed content words."""
    for pattern, replacement in SPELT_OUT:
        text = pattern.sub(replacement, text)
    return {stem(w) for w in WORD.findall(text.lower()) if len(w) > 2 and w not in STOP}


@dataclass(frozen=True)
class Candidate:
    """A catalogue indicator as the matcher reads it."""

    id: str
    title: str
    about: str = ""  # why it matters and the plan objectives it monitors


@dataclass(frozen=True)
class Suggestion:
    id: str
    title: str
    score: int
    shared: tuple[str, ...]  # the stems the texts share, for the page to show why


def suggest(
    text: str, context: str, candidates: Iterable[Candidate], limit: int = 5
) -> list[Suggestion]:
    """The indicators sharing most words with `text` (counted twice) and `context` (the
    objective's title), best first; none when nothing is shared."""
    own, around = words(text), words(context)
    found = []
    for order, candidate in enumerate(candidates):
        theirs = words(candidate.title) | words(candidate.about)
        title_words = words(candidate.title)
        shared = (own | around) & theirs
        if not shared:
            continue
        score = sum((2 if w in own else 1) * (2 if w in title_words else 1) for w in shared)
        # Ties go to the indicator whose title is most covered (the plainer of two variants).
        covered = len(shared & title_words) / max(len(title_words), 1)
        found.append(
            (
                -score,
                -covered,
                order,
                Suggestion(candidate.id, candidate.title, score, tuple(sorted(shared))),
            )
        )
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found[:limit]]
