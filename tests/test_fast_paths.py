"""Each fast path of the per-article text work gives what its plain definition gives.

The plain definitions are what the code said before it was made faster; these property
tests hold the fast code to them on generated text, typographic and non-Latin
characters included, so a speed-up can never change a brief.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from summarize import tense

# Letters of several scripts and cases, the punctuation words are split at, whitespace,
# digits, and the characters whose lower case is special (dotted I, Kelvin and Ohm signs,
# capital sigma, whose lower case depends on what follows it).
ALPHABET = "aAbBkKsSzZ \n\t.,;'-\"()0123456789éÉßİKΩÅΣσςЖжαΑ\u2019\u201c\u00a0\u200b"
texts = st.text(alphabet=ALPHABET, max_size=200)


@settings(max_examples=400, deadline=None)
@given(texts, st.text(alphabet="aAkKsS -'.É", min_size=1, max_size=6))
def test_word_starts_are_the_matches_of_a_leading_lookbehind(text: str, phrase: str) -> None:
    body = re.escape(phrase)
    plain = re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)
    fast = re.compile(body + r"(?!\w)", re.IGNORECASE)
    expected = [m.span() for m in plain.finditer(text)]
    assert [m.span() for m in tense._word_starts(fast, text)] == expected
