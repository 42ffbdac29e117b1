"""One form for a character's name, wherever names are compared or stored."""

from __future__ import annotations

import re
import unicodedata

# characters that show nothing: zero-width space, non-joiner and joiner, direction marks and
# embeddings, word joiner and invisible operators, byte-order mark, soft hyphen, Mongolian
# vowel separator. `顾言\u200d` and `顾言` look the same and must be one person.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalise_name(name: str) -> str:
    """A name as compared and stored: NFKC (full-width letters and compatibility forms
    folded), invisible characters removed, runs of white space made one space, ends trimmed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name))
    return " ".join(text.split())
