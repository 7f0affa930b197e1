"""Find the dossier's site among a sub-protocol's published sites (accent- and case-blind)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ismart.protocol.model import Site

# Words too common in hospital names to tell two institutions apart.
_GENERIC = frozenset(
    {
        "hospital",
        "hopital",
        "center",
        "centre",
        "medical",
        "university",
        "universitaire",
        "universitair",
        "ziekenhuis",
        "children",
        "childrens",
        "for",
        "the",
        "of",
        "de",
        "des",
        "and",
        "nhs",
        "trust",
        "pediatric",
        "paediatric",
        "oncology",
        "chu",
        "irccs",
        "enfants",
        "kinder",
    }
)


@lru_cache(maxsize=4096)
def _tokens(text: str) -> frozenset[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return frozenset(re.findall(r"[a-z0-9]+", plain.replace("'s", "s")))


def find_site(name: str, sites: list[Site]) -> Site | None:
    """The one site whose city and (when the city is shared) institution the name mentions."""
    given = _tokens(name)
    in_city = [s for s in sites if _tokens(s.city) <= given]
    if len(in_city) == 1:
        return in_city[0]
    pool = in_city or sites
    scored = [(len((_tokens(s.institution) - _GENERIC) & given), s) for s in pool]
    best = max((score for score, _ in scored), default=0)
    winners = [s for score, s in scored if score == best and score > 0]
    return winners[0] if len(winners) == 1 else None
