"""What a word of a canonical name tells: whether it is generic (a word many unrelated
organisations share: company, trading, shipping, group, international...) and its sound
(a phonetic key, so that transliterations of one word, RASHEED and RASHID, sound alike).
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA
from rigour.text import metaphone

# Words that describe what an organisation is or does rather than which one it is, in the
# languages of the lists screened (English, Spanish, Portuguese, French, Italian, German,
# Russian and Persian/Arabic romanised): a name's distinctive words carry it, these weigh
# less (streams.watchlist.name_score). Chosen from the OFAC SDN organisations' most
# frequent words; legal forms themselves are removed before scoring (rigour).
#
# KIND_WORDS say what sort of body it is (IRAN BROADCASTING ORG. is IRAN BROADCASTING);
# ACTIVITY_WORDS what it does or how far it reaches, which is what tells sister companies
# apart (KORYO BANK, KORYO COMMERCIAL BANK; STROYTRANSGAZ, STROYTRANSGAZ GROUP).
KIND_WORDS = frozenset(
    [
        *("agency", "association", "authority", "bureau", "center", "centre", "committee"),
        *("corporacion", "council", "department", "enterprise", "enterprises"),
        *("establishment", "foundation", "institute", "institution", "ministry", "office"),
        *("org", "organisation", "organization", "partnership", "proprietary", "society"),
        *("union", "liability", "joint", "stock", "closed", "open", "public", "private"),
        *("state", "federal"),
        # Spanish, Portuguese, French, Italian
        *("asociacion", "cia", "compania", "companhia", "empresa", "organizacion"),
        *("sociedad", "societe", "societa", "anonima", "anonyme", "limitada"),
        # Russian, Persian and Arabic romanised
        *("obshchestvo", "aktsionernoe", "otvetstvennostyu", "ogranichennoy"),
        *("ogranichennoi", "sherkat", "sherkate", "muassasat", "sharikat", "sharika"),
        *("jamiat",),
    ]
)
ACTIVITY_WORDS = frozenset(
    [
        *("commercial", "development", "export", "exports", "general", "global", "group"),
        *("holding", "holdings", "import", "imports", "industrial", "industries"),
        *("industry", "international", "intl", "investment", "investments", "logistics"),
        *("management", "marine", "maritime", "national", "project", "projects"),
        *("resources", "service", "services", "ship", "shipping", "solutions", "systems"),
        *("technology", "technologies", "trade", "trading", "transport", "ventures"),
        *("works",),
        *("comercial", "comercializadora", "constructora", "grupo", "industria"),
        *("industrias", "inmobiliaria", "internacional", "inversiones", "servicios"),
        *("comercio", "gesellschaft", "handel", "zavod", "tejarat"),
    ]
)
GENERIC_WORDS = KIND_WORDS | ACTIVITY_WORDS
# Generic words long enough that one edit from one is that word misspelt, not another.
_MISSPELLABLE = tuple(w for w in GENERIC_WORDS if len(w) >= 7)


@lru_cache(maxsize=65536)
def is_generic(word: str) -> bool:
    """Whether a canonical word is a generic word, or one misspelt (of seven letters or
    more, within one edit)."""
    if word in GENERIC_WORDS:
        return True
    return len(word) >= 6 and any(
        OSA.distance(word, generic, score_cutoff=1) <= 1 for generic in _MISSPELLABLE
    )


def is_kind(word: str) -> bool:
    """Whether a generic word says what sort of body an organisation is (or is one such
    word misspelt), not what it does."""
    if word in KIND_WORDS:
        return True
    return word not in ACTIVITY_WORDS and any(
        OSA.distance(word, kind, score_cutoff=1) <= 1 for kind in KIND_WORDS if len(kind) >= 7
    )


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """The phonetic key (metaphone) of a folded word; empty for words with digits."""
    return metaphone(word) if word.isalpha() else ""
