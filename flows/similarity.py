"""Near-duplicate items of a quadrant, proposed for grouping: `propose_groups(items)`.

Rule: pure and deterministic (the same items give the same proposals, in written order). A
proposal is only a question to the facilitator, so a miss or a stray match costs one tap; what
must not happen is opposite items proposed as one ("Prix trop bas", "Prix trop élevés").

Why words and not one ratio over the whole text: no whole-string scorer of rapidfuzz separates
the two cases. On normalised texts, "bonne finition" / "finitions de qualite" scores 47 (ratio),
73 (partial_ratio), 59 (token_sort_ratio, token_set_ratio), 56 (WRatio), while "prix trop bas" /
"prix trop eleves", which must stay apart, scores 76, 87, 76, 82, 78; "communication interne" /
"communication externe" scores 90 with every one of them. What tells them apart is that one
item says nothing the other does not: "Bonne finition" is all in "Bonnes finitions des pièces",
but "bas" is nowhere in "trop élevés".

So two items are near when, on their content words (function words and generic praise such as
"bonne", "qualité", "good", "goed" dropped, in French, English and Dutch), every word of one has
a match in the other and at least half the words of the other have a match in the first. Two
words match when rapidfuzz's `fuzz.ratio` gives them at least `WORD_THRESHOLD` (80): plurals,
accents, small typos and "finish" / "finishing" pass, "interne" / "externe" (71) does not.
A negation ("pas", "manque", "no", "without", "geen", …) in one item and none in the other keeps
them apart: "Site web" is all in "Pas de site web", and says the opposite.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence

from rapidfuzz import fuzz

from flows.board_model import MAX_GROUP_SIZE, QUADRANTS, Item, ItemId

WORD_THRESHOLD = 80

# Words that do not tell two items apart: articles, prepositions, pronouns, and the praise every
# strength carries. Quantities ("trop", "plus") stay, and negations must agree (see `are_near`).
_FILLERS_BY_LANGUAGE = {
    "fr": "le la les un une des de du au aux et ou en pour par sur dans avec ce cet cette ces sa "
    "son ses leur leurs notre nos nous on qui que est sont tres bon bons bonne bonnes bien qualite",
    "en": "the an of and or to in on for with our we is are it its at by from very good great "
    "quality well",
    "nl": "de het een van en of op voor met onze ons wij is zijn te aan bij door zeer heel erg goed "
    "goede kwaliteit",
}
_NEGATIONS_BY_LANGUAGE = {
    "fr": "pas sans manque manquent aucun aucune jamais ni non peu",
    "en": "no not without lack lacking never few little none",
    "nl": "geen niet zonder gebrek nooit weinig",
}
FILLERS = frozenset(" ".join(_FILLERS_BY_LANGUAGE.values()).split())
NEGATIONS = frozenset(" ".join(_NEGATIONS_BY_LANGUAGE.values()).split())


def normalise(text: str) -> str:
    """`text` folded for comparison: casefolded, accents stripped, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (
        " " if unicodedata.category(char).startswith("P") else char
        for char in decomposed
        if not unicodedata.combining(char)
    )
    return " ".join("".join(kept).split())


def content_words(text: str) -> tuple[str, ...]:
    """The words that carry an item's meaning, once each, in order.

    Single letters (the "d" of "d'argent") and fillers go; an item made only of them keeps all
    its words, so that "Très bien" still matches "très bien".
    """
    words = normalise(text).split()
    content = [w for w in words if w not in FILLERS and not (len(w) == 1 and w.isalpha())]
    return tuple(dict.fromkeys(content or words))


def are_near(first: Sequence[str], second: Sequence[str]) -> bool:
    """Do two items' content words say the same (the rule of the module docstring)?"""
    if not first or not second:
        return False
    if NEGATIONS.isdisjoint(first) != NEGATIONS.isdisjoint(second):
        return False
    covered_first = sum(1 for word in first if _has_match(word, second))
    covered_second = sum(1 for word in second if _has_match(word, first))
    if covered_first == len(first):
        return 2 * covered_second >= len(second)
    if covered_second == len(second):
        return 2 * covered_first >= len(first)
    return False


def _has_match(word: str, others: Sequence[str]) -> bool:
    return any(fuzz.ratio(word, other, score_cutoff=WORD_THRESHOLD) for other in others)


def propose_groups(
    items: Sequence[Item], *, apart: Collection[tuple[ItemId, ItemId]] = ()
) -> tuple[tuple[ItemId, ...], ...]:
    """Proposals of near-duplicates, quadrant by quadrant (QUADRANTS order).

    `items` come in written order. Each proposal holds 2..MAX_GROUP_SIZE ids of one quadrant,
    in written order (its first id, the earliest written, names it); no two items of a pair in
    `apart` share a proposal. Items whose normalised texts are identical are proposed together
    (by MAX_GROUP_SIZE at most); an item with no word at all ("…") is never proposed.
    """
    kept_apart = {frozenset(pair) for pair in apart}
    position = {item.id: n for n, item in enumerate(items)}
    proposals: list[tuple[ItemId, ...]] = []
    for quadrant in QUADRANTS:
        clusters = _clusters([i for i in items if i.quadrant == quadrant], kept_apart)
        proposals += [
            tuple(sorted((i.id for i in c), key=position.__getitem__))
            for c in clusters
            if len(c) >= 2
        ]
    return tuple(proposals)


def _clusters(items: Sequence[Item], apart: Collection[frozenset[ItemId]]) -> list[list[Item]]:
    """Identical texts first, then whole buckets joined to the first cluster they fit.

    A bucket joins a cluster only when every pair across is near (complete linkage): single
    linkage would let "finition" → "finition des pièces" → "pièces en retard" drift into one.
    """
    words = {item.id: content_words(item.text) for item in items}
    texts = {item.id: normalise(item.text) for item in items}
    buckets: list[list[Item]] = []
    for item in items:
        if not words[item.id]:
            continue
        same = (b for b in buckets if texts[b[0].id] == texts[item.id])
        bucket = next((b for b in same if _fits(b, [item], apart)), None)
        if bucket is None:
            buckets.append([item])
        else:
            bucket.append(item)
    clusters: list[list[Item]] = []
    for bucket in buckets:
        cluster = next(
            (
                c
                for c in clusters
                if _fits(c, bucket, apart)
                and all(are_near(words[a.id], words[b.id]) for a in c for b in bucket)
            ),
            None,
        )
        if cluster is None:
            clusters.append(bucket)
        else:
            cluster += bucket
    return clusters


def _fits(
    cluster: Sequence[Item], more: Sequence[Item], apart: Collection[frozenset[ItemId]]
) -> bool:
    if len(cluster) + len(more) > MAX_GROUP_SIZE:
        return False
    return not any(frozenset((a.id, b.id)) in apart for a in cluster for b in more)
