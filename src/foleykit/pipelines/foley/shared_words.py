"""The content words a prompt and a caption share, so that a prompt's anchor names the same sound.

MiniLM's sentence similarity weighs a sentence's shape as much as the nouns and verbs that name the sound:
it ranks "someone running on stone" nearest to "someone running down a wooden hallway", and "door knocking"
nearest to "door slam". Adding the share of the prompt's content words that a caption also has (hybrid
lexical and dense retrieval, as search engines rank) puts captions that name the same surface or action
first. Words are stemmed by the Snowball English stemmer (`snowballstemmer`: "slammed" and "slams" are
"slam"; "wood" and "wooden" stay apart). The function words left out are a short list written here:
scikit-learn's English stop words drop words that name sounds ("fire", "thick", "empty") and cost seconds
to import. Only the letters a-z make words (English prompts: digits and accented letters split them).
"""

from __future__ import annotations

import re

import snowballstemmer
import torch

FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "on", "onto", "in", "into", "inside", "at", "to",
    "from", "by", "with", "without", "for", "through", "across", "over", "under", "down", "up", "off",
    "out", "along", "around", "against", "behind", "as", "is", "are", "was", "were", "be", "being", "been",
    "it", "its", "he", "she", "his", "her", "they", "them", "their", "someone", "somebody", "something",
    "this", "that", "these", "those", "while", "then", "there", "very", "some", "any", "s",
})  # fmt: skip
_WORD = re.compile(r"[a-z]+")
_STEMMER = snowballstemmer.stemmer("english")


def content_stems(text: str) -> frozenset[str]:
    """The text's words, lower-case, without function words, stemmed ("Doors slammed" → {"door", "slam"})."""
    words = [word for word in _WORD.findall(text.lower()) if word not in FUNCTION_WORDS]
    return frozenset(_STEMMER.stemWords(words))


def stem_overlap(prompt: str, captions: list[frozenset[str]]) -> torch.Tensor:
    """For each caption (its `content_stems`), the share of the prompt's content stems it also has: 1.0 where
    it has them all, 0.0 for every caption where the prompt has none."""
    wanted = content_stems(prompt)
    if not wanted:
        return torch.zeros(len(captions), dtype=torch.float32)
    shares = [len(wanted & caption) / len(wanted) for caption in captions]
    return torch.tensor(shares, dtype=torch.float32)
