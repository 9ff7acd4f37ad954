"""Short Chinese texts to features: normalised, then character 1–3-grams and jieba words.

Normalisation: traditional characters to simplified (OpenCC t2s), full-width forms to their
normal width (NFKC), Latin letters to lower case, runs of spaces to one. Texts longer than
MAX_CHARS are cut there. Every character that is neither a letter nor a digit (punctuation,
spaces, symbols) is a boundary.

Character n-grams never cross a boundary. An n-gram is an integer key built from its code points
(c1·2⁴² + c2·2²¹ + c3 for a 3-gram; keys of different lengths cannot collide, and each key can be
turned back into its text), so a million texts are featurised with array operations, not one
Python string at a time.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numba
import numpy as np
import opencc
import rjieba

MAX_CHARS = 1000
NGRAMS = (1, 2, 3)
_SHIFT = np.int64(21)
_ROW_END = "\n"


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _word_character_table() -> np.ndarray:
    """True for the code points (of the Basic Multilingual Plane) that are letters or digits."""
    return np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)


@lru_cache(maxsize=1)
def nfkc_table() -> np.ndarray:
    """For each code point of the Basic Multilingual Plane, the one code point NFKC makes of
    it whatever stands around it, or -1. A code point has one when it and its NFKC form (one
    code point) combine with nothing: canonical combining class 0, and never the second of a
    canonical composition (nor a Hangul vowel or final jamo). NFKC of a text of such code
    points (no reordering, no composition) is each one's form in turn."""
    second = {0x1161 + i for i in range(21)} | {0x11A8 + i for i in range(27)}
    for c in range(0x110000):
        parts = unicodedata.decomposition(chr(c)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second.add(int(parts[1], 16))
    out = np.full(0x10000, -1, np.int32)
    for c in range(0x10000):
        form = unicodedata.normalize("NFKC", chr(c))
        if (
            len(form) == 1
            and c not in second
            and ord(form) not in second
            and unicodedata.combining(chr(c)) == 0
            and unicodedata.combining(form) == 0
            and not 0xD800 <= c <= 0xDFFF
        ):
            out[c] = ord(form)
    return out


def _nfkc(texts: list[str]) -> str:
    """unicodedata.normalize("NFKC", …) of the texts joined by row ends: code point by code
    point through nfkc_table where every code point of a text has a form there, else by
    unicodedata (those texts joined)."""
    joined = _ROW_END.join(texts)
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    table = nfkc_table()
    wide = points >= 0x10000
    formed = table[np.where(wide, 0, points)]
    other = wide | (formed < 0)
    if not other.any():
        return formed.astype(np.uint32).tobytes().decode("utf-32-le")
    ends = points == ord(_ROW_END)
    row = np.cumsum(ends) - ends
    slow = np.unique(row[other]).tolist()
    # The texts done by unicodedata are put in place of their rows (spaces for now).
    formed = np.where(other, np.int32(ord(" ")), formed)
    parts = formed.astype(np.uint32).tobytes().decode("utf-32-le").split(_ROW_END)
    done = unicodedata.normalize("NFKC", _ROW_END.join(texts[r] for r in slow)).split(_ROW_END)
    if len(done) != len(slow):  # a character normalised into a row end: one by one
        done = [unicodedata.normalize("NFKC", texts[r]) for r in slow]
    for r, text in zip(slow, done, strict=True):
        parts[r] = text
    return _ROW_END.join(parts)


def normalise(texts: Sequence[str | None]) -> list[str]:
    """Each text normalised; None becomes the empty text. Done on the joined texts at once."""
    cleaned = [(t or "").replace("\r", " ").replace("\n", " ") for t in texts]
    if not cleaned:
        return []
    joined = _nfkc(cleaned)
    joined = _converter().convert(joined).lower()
    parts = joined.split(_ROW_END)
    if len(parts) != len(cleaned):  # a character normalised into a line break: go one by one
        parts = [_converter().convert(unicodedata.normalize("NFKC", t)).lower() for t in cleaned]
    return [_bounded(p) for p in parts]


def _bounded(text: str) -> str:
    return " ".join(text[:MAX_CHARS].split())


def is_empty(text: str) -> bool:
    """No letter and no digit: nothing to classify by."""
    return not any(ch.isalnum() for ch in text)


def code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of the normalised texts joined by row ends, and whether each one is a
    boundary (anything but a letter or digit, including the row ends)."""
    joined = _ROW_END.join(texts) + _ROW_END
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    table = _word_character_table()
    boundary = np.ones(points.shape, dtype=bool)
    low = points < 0x10000
    boundary[low] = ~table[points[low]]
    boundary[~low] = False  # characters beyond the BMP are kept as they are
    return points, boundary


def ngram_keys(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row, key) of every character n-gram of every normalised text, in row order."""
    rows, keys, _, _ = _ngrams(texts, places=False)
    return rows, keys


def ngram_places(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, key, start, end) of every character n-gram of every normalised text: start and
    end are its place in its text (text[start:end] is the n-gram)."""
    return _ngrams(texts, places=True)


def _ngrams(
    texts: Sequence[str], *, places: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    points, boundary = code_points(texts)
    ends = points == ord(_ROW_END)
    row = np.cumsum(ends) - ends
    if places:  # each character's place in its text
        first = np.r_[0, np.flatnonzero(ends)[:-1] + 1]  # where each text starts in points
        offset = np.arange(points.shape[0], dtype=np.int64) - first[row]
    rows: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    size = points.shape[0]
    for n in NGRAMS:
        if size < n:
            continue
        span = size - n + 1
        ok = ~boundary[:span]
        key = points[:span].copy()
        for at in range(1, n):
            ok &= ~boundary[at : at + span]
            key = (key << _SHIFT) | points[at : at + span]
        rows.append(row[:span][ok])
        keys.append(key[ok])
        if places:
            starts.append(offset[:span][ok])
            lengths.append(np.full(int(ok.sum()), n, np.int64))
    empty = np.zeros(0, np.int64)
    if not rows:
        return empty, empty, empty, empty
    if not places:
        return np.concatenate(rows), np.concatenate(keys), empty, empty
    start = np.concatenate(starts)
    return np.concatenate(rows), np.concatenate(keys), start, start + np.concatenate(lengths)


def key_text(key: int) -> str:
    """The n-gram a key stands for."""
    chars = []
    while key:
        chars.append(chr(key & 0x1FFFFF))
        key >>= 21
    return "".join(reversed(chars))


def words(text: str) -> list[str]:
    """The jieba words of a normalised text that are at least two characters long."""
    return [w for w in rjieba.cut(text) if len(w) > 1 and w.isalnum()]


def word_places(text: str) -> list[tuple[str, int, int]]:
    """The words (as `words`) with their places: (word, start, end), text[start:end] == word."""
    out = []
    at = 0
    for w in rjieba.cut(text):
        end = at + len(w)
        if len(w) > 1 and w.isalnum():
            out.append((w, at, end))
        at = end
    return out


def word_spans(texts: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """(row, word, start, end) of every word (as `words`) of every normalised text, in row
    order: the same words and places as `word_places` of each text, from one cut of the texts
    joined by row ends (jieba never joins a row end to a neighbour, so the cut of the joined
    texts is each text's cut followed by a row end, which is checked), with no Python code run
    per word. (No Polars here: prediction runs it in forked processes.)"""
    if not texts:
        empty = np.zeros(0, np.int64)
        return empty, [], empty, empty
    joined = _ROW_END.join(texts) + _ROW_END
    lengths_of_texts = np.fromiter(map(len, texts), np.int64, len(texts)) + 1
    text_start = np.cumsum(lengths_of_texts) - lengths_of_texts  # in joined
    one_cut = "\r" not in joined and joined.count(_ROW_END) == len(texts)
    tokens: list[str] = rjieba.cut(joined) if one_cut else []
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    row_end = np.fromiter(map(_ROW_END.__eq__, tokens), bool, len(tokens))
    if int(lengths.sum()) == len(joined) and int(row_end.sum()) == len(texts):
        rows = np.cumsum(row_end) - row_end
        starts = np.cumsum(lengths) - lengths - text_start[rows]
    else:  # a row end inside a text (texts not normalised): each text cut on its own
        pieces = [rjieba.cut(t) for t in texts]
        counts = np.fromiter(map(len, pieces), np.int64, len(pieces))
        tokens = list(itertools.chain.from_iterable(pieces))
        lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        starts = np.cumsum(lengths) - lengths  # in the texts joined with nothing between
        starts -= np.repeat(np.cumsum(lengths_of_texts - 1) - (lengths_of_texts - 1), counts)
    # A word: two characters or more, each a letter or digit (str.isalnum).
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    other = np.ones(points.shape, dtype=bool)
    low = points < 0x10000
    other[low] = ~_word_character_table()[points[low]]
    if not low.all():
        high = np.flatnonzero(~low)
        other[high] = [not chr(c).isalnum() for c in points[high].tolist()]
    before = np.r_[0, np.cumsum(other)]  # characters that are not, before each place
    at = text_start[rows] + starts
    keep = (lengths > 1) & (before[at + lengths] == before[at])
    kept = list(itertools.compress(tokens, keep.tolist()))
    return rows[keep], kept, starts[keep], starts[keep] + lengths[keep]


HEAD_PREFIXES = re.compile(
    r"^(?:一般项目|许可项目|经营范围|主营产品|主营业务|主要产品|生产|销售)[:：]?"
)
ITEMS = re.compile(r"[;；、,，:：。()（）]+")


# Characters jieba keeps inside a run of text it segments as one (besides letters and digits):
# a head next to one of them might be cut differently on its own than inside its text.
_JIEBA_JOINS = frozenset("+#&._%-")


def head_place(text: str) -> tuple[int, int] | None:
    """Where the text's head (see head) stands in it, when that is a separate run of it:
    text[start:end] is the head, with no letter, digit or character jieba joins on either side,
    so its n-grams and words are those of the text that lie within it. None where the head is
    the whole text or does not stand apart so (then it is featurised on its own)."""
    item = head(text)
    if item == text:
        return None
    start = text.find(item)
    end = start + len(item)
    for at in (start - 1, end):
        if 0 <= at < len(text) and (text[at].isalnum() or text[at] in _JIEBA_JOINS):
            return None
    return start, end


_PREFIX_WORDS = (
    "一般项目",
    "许可项目",
    "经营范围",
    "主营产品",
    "主营业务",
    "主要产品",
    "生产",
    "销售",
)
_PREFIX_ENDS = ":："
_ITEM_BREAKS = ";；、,，:：。()（）"


@lru_cache(maxsize=1)
def _head_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For head_places: per code point of the Basic Multilingual Plane whether it is white
    space (str.isspace), an item break (ITEMS), or a letter, digit or character jieba joins
    (head_place's neighbours); and the prefixes (HEAD_PREFIXES' words) as code points, padded
    with -1, followed by a row of the characters that may end one."""
    size = 0x10000
    space = np.array([chr(c).isspace() for c in range(size)], dtype=bool)
    breaks = np.zeros(size, dtype=bool)
    breaks[[ord(c) for c in _ITEM_BREAKS]] = True
    joins = _word_character_table().copy()
    joins[[ord(c) for c in _JIEBA_JOINS]] = True
    rows = [*_PREFIX_WORDS, _PREFIX_ENDS]
    prefixes = np.full((len(rows), max(map(len, rows))), -1, np.int64)
    for at, word in enumerate(rows):
        prefixes[at, : len(word)] = [ord(c) for c in word]
    return space, breaks, joins, prefixes


def head_places(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(start, end) of each text's head (text[start:end] == head(text)) and its place as
    head_place gives it ((-1, -1) for None), for many texts in one compiled pass; texts with
    characters beyond the Basic Multilingual Plane by the functions themselves."""
    count = len(texts)
    lengths = np.fromiter(map(len, texts), np.int64, count)
    starts = np.zeros(count + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    points = np.frombuffer("".join(texts).encode("utf-32-le"), np.uint32).astype(np.int64)
    space, breaks, joins, prefixes = _head_tables()
    out = _head_rows(points, starts, space, breaks, joins, prefixes)
    for row in np.flatnonzero(out[4]).tolist():  # beyond the BMP: in Python
        text = texts[row]
        item = head(text)
        out[0][row] = text.find(item) if item != text else 0
        out[1][row] = out[0][row] + len(item)
        place = head_place(text)
        out[2][row], out[3][row] = place if place is not None else (-1, -1)
    return out[0], out[1], out[2], out[3]


@numba.njit(nogil=True, cache=True)
def _head_rows(
    points: np.ndarray, starts: np.ndarray, space: np.ndarray, breaks: np.ndarray,
    joins: np.ndarray, prefixes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """head and head_place of each text (its code points from starts[row] to starts[row + 1])
    as places in it; the last array marks the texts left to Python (beyond the BMP)."""
    rows = starts.shape[0] - 1
    head_start = np.zeros(rows, np.int64)
    head_end = np.zeros(rows, np.int64)
    place_start = np.full(rows, -1, np.int64)
    place_end = np.full(rows, -1, np.int64)
    other = np.zeros(rows, dtype=np.bool_)
    for row in range(rows):
        base, n = starts[row], starts[row + 1] - starts[row]
        wide = False
        for i in range(base, base + n):
            if points[i] >= 0x10000:
                wide = True
                break
        if wide:
            other[row] = True
            continue
        a, b = _strip(points, space, base, base + n)
        for _ in range(3):
            a = _after_prefix(points, prefixes, a, b)
            a, b = _strip(points, space, a, b)
        found_a, found_b = base, base + n  # none found: the whole text
        i = a
        while i <= b:
            j = i
            while j < b and not breaks[points[j]]:
                j += 1
            c, d = _strip(points, space, i, j)
            c = _after_prefix(points, prefixes, c, d)
            c, d = _strip(points, space, c, d)
            if d - c >= 2:
                found_a, found_b = c, d
                break
            if j == b:
                break
            i = j
            while i < b and breaks[points[i]]:
                i += 1
        size = found_b - found_a
        # head_place: the first place the head stands in the text, with no letter, digit or
        # character jieba joins next to it; none where the head is the whole text.
        at = found_a
        for k in range(base, found_a + 1):
            same = True
            for m in range(size):
                if points[k + m] != points[found_a + m]:
                    same = False
                    break
            if same:
                at = k
                break
        head_start[row], head_end[row] = found_a - base, found_b - base
        if size == n:
            continue
        if at > base and joins[points[at - 1]]:
            continue
        if at + size < base + n and joins[points[at + size]]:
            continue
        place_start[row], place_end[row] = at - base, at + size - base
    return head_start, head_end, place_start, place_end, other


@numba.njit(nogil=True, cache=True)
def _strip(points: np.ndarray, space: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """str.strip of points[a:b] (all in the BMP), as places."""
    while a < b and space[points[a]]:
        a += 1
    while b > a and space[points[b - 1]]:
        b -= 1
    return a, b


@numba.njit(nogil=True, cache=True)
def _after_prefix(points: np.ndarray, prefixes: np.ndarray, a: int, b: int) -> int:
    """Where points[a:b] goes on after HEAD_PREFIXES.sub("", …) takes its prefix (if any)."""
    last = prefixes.shape[0] - 1  # the row of the characters that may end a prefix
    for p in range(last):
        size = 0
        while size < prefixes.shape[1] and prefixes[p, size] >= 0:
            size += 1
        if b - a < size:
            continue
        same = True
        for k in range(size):
            if points[a + k] != prefixes[p, k]:
                same = False
                break
        if same:
            a += size
            if a < b:
                for k in range(prefixes.shape[1]):
                    if prefixes[last, k] >= 0 and points[a] == prefixes[last, k]:
                        a += 1
                        break
            return a
    return a


def head(text: str) -> str:
    """The first item a normalised text names (in 经营范围 and product lists the main one comes
    first): the part before the first 、 ， ； ： or bracket, after a leading 一般项目：, 许可项目：
    or similar, of two characters or more; the whole text when there is none."""
    rest = text.strip()
    for _ in range(3):
        rest = HEAD_PREFIXES.sub("", rest).strip()
    for item in ITEMS.split(rest):
        item = HEAD_PREFIXES.sub("", item.strip()).strip()
        if len(item) >= 2:
            return item
    return text
