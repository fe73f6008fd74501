"""Recognising the debris a PDF-to-text export leaves between table columns.

When text is pulled out of a PDF table by position, a word that crosses a column boundary is cut
in two and each half lands in a different column ("identif" | "ied", "arrangem" | "ents"), and
where two columns overlap their lines are interleaved ("comprehensiv screening prog", "e antenatal
grammes"). There is no dictionary to check words against, so the document is its own dictionary:

- a *known word* occurs somewhere else in the document (outside the fragment being judged);
- a *split word* is not known, and is either one letter, or the start or end of a longer known
  word ("comprehensiv", "grammes", "ldren") other than by a usual ending ("promote" is not split
  because "promoted" is known), or, written in lower case, two known words run together
  ("childincluding"; "Homestart" is a name);
- a fragment is *debris* when its split words are at least two and at least a fifth of its
  distinct words, or at least four and at least 15%, or when it is a single word that is split.

Hyphenated words count as one word, and abbreviations such as "e.g." and amounts such as "£80k" are
ignored, so that they are not mistaken for cut words. Debris is listed as unplaced, never dropped.
The thresholds were set by reading the Dacorum export; a longer or cleaner document may need them
revisited (too low and real text is listed as unplaced, too high and debris lands in fields).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
_ABBREVIATION = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_AMOUNT = re.compile(r"\d+[A-Za-z]+\b")


ENDINGS = {"s", "d", "ed", "ing", "r", "er", "ers", "ion", "ions", "ly", "al", "ment", "ments"}
"""Endings that turn a word into another word: a word followed by one of these is not cut."""


def words_as_written(text: str) -> list[str]:
    """Words of `text` as written, without abbreviations like "e.g." or amounts like "£3k"."""
    return _WORD.findall(_AMOUNT.sub(" ", _ABBREVIATION.sub(" ", text)))


def words(text: str) -> list[str]:
    """Lower-case words of `text` (see `words_as_written`)."""
    return [w.lower() for w in words_as_written(text)]


class DebrisDetector:
    """Judges fragments against the vocabulary of the whole document they come from."""

    def __init__(self, fragments: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter()
        for fragment in fragments:
            self.counts.update(words(fragment))
        self.by_affix: dict[str, list[str]] = {}
        for word in self.counts:
            for cut in range(2, len(word)):
                self.by_affix.setdefault(word[:cut], []).append(word)
                self.by_affix.setdefault(word[-cut:], []).append(word)

    def _known(self, word: str, own: Counter[str]) -> bool:
        return self.counts[word] - own[word] > 0

    def is_split_word(self, written: str, own: Counter[str]) -> bool:
        word = written.lower()
        if self._known(word, own):
            return False
        if len(word) == 1:
            return word not in ("a", "i")
        for longer in self.by_affix.get(word, ()):
            if not self._known(longer, own):
                continue
            if not (longer.startswith(word) and longer[len(word) :] in ENDINGS):
                return True
        return written.islower() and any(
            self._known(word[:cut], own) and self._known(word[cut:], own)
            for cut in range(3, len(word) - 2)
        )

    def is_debris(self, fragment: str) -> bool:
        own = Counter(words(fragment))
        if not own:
            return False
        distinct = {w.lower(): w for w in words_as_written(fragment)}
        split = sum(1 for word in distinct.values() if self.is_split_word(word, own))
        share = split / len(own)
        if len(own) == 1:
            return split == 1
        return (split >= 2 and share >= 0.2) or (split >= 4 and share >= 0.15)
