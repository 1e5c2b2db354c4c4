"""What a word of a canonical name tells: whether it is generic (a word many unrelated
organisations share: company, trading, shipping, group, international...) and its sound
(a phonetic key, so that transliterations of one word, RASHEED and RASHID, sound alike).
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA
from rigour.text import metaphone

# Words that describe what an organisation does or is rather than which one it is, in the
# languages of the lists screened (English, Spanish, Portuguese, French, Italian, German,
# Russian and Persian/Arabic romanised): a name's distinctive words carry it, these weigh
# less (streams.watchlist.name_score). Chosen from the OFAC SDN organisations' most
# frequent words; legal forms themselves are removed before scoring (rigour).
GENERIC_WORDS = frozenset(
    [
        *("agency", "association", "authority", "bureau", "center", "centre", "commercial"),
        *("committee", "corporacion", "council", "department", "development", "enterprise"),
        *("enterprises", "establishment", "export", "exports", "foundation", "general"),
        *("global", "group", "holding", "holdings", "import", "imports", "industrial"),
        *("industries", "industry", "institute", "institution", "international", "intl"),
        *("investment", "investments", "logistics", "management", "marine", "maritime"),
        *("ministry", "national", "office", "org", "organisation", "organization"),
        *("partnership", "project", "projects", "resources", "service", "services", "ship"),
        *("shipping", "society", "solutions", "systems", "technology", "technologies"),
        *("trade", "trading", "transport", "union", "ventures", "works", "liability"),
        *("joint", "stock", "closed", "open", "public", "private", "state", "federal"),
        # Spanish, Portuguese, French, Italian
        *("asociacion", "cia", "comercial", "comercializadora", "compania", "companhia"),
        *("constructora", "empresa", "grupo", "industria", "industrias", "inmobiliaria"),
        *("internacional", "inversiones", "organizacion", "servicios", "sociedad"),
        *("societe", "societa", "anonima", "anonyme", "limitada", "comercio"),
        # German, Russian, Persian and Arabic romanised
        *("gesellschaft", "handel", "obshchestvo", "aktsionernoe", "otvetstvennostyu"),
        *("ogranichennoy", "ogranichennoi", "zavod", "sherkat", "tejarat", "sherkate"),
        *("muassasat", "sharikat", "sharika", "jamiat"),
    ]
)
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


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """The phonetic key (metaphone) of a folded word; empty for words with digits."""
    return metaphone(word) if word.isalpha() else ""
