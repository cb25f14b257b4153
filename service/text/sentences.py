"""Split normalised text into sentences, keeping spans.

Sentences end at Chinese or Western terminal marks (already canonicalised to 。！？；) and at
line breaks. A sentence keeps its closing mark, so a question stays recognisable.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from .segment import Token

__all__ = ["Sentence", "split_sentences"]

_TERMINALS = "。！？；\n"
# A line break ends a sentence unless the line ends in a comma-like mark (a soft wrap). Written as runs
# of ordinary characters between soft wraps: a character class repeated alone is matched in one step,
# where an alternation inside the repeat is tried character by character (twice as slow).
_SPLIT = re.compile(r"[^。！？；\n]*(?:(?<=[，、：])\n[^。！？；\n]*)*(?:[。！？；]+[”’）]*|\n|$)")
# A sentence built as a question asserts nothing, even without a question mark.
_QUESTION_TAIL = re.compile(r"(吗|呢|难道.*)[。！”]?$")
_QUESTION_HEAD = re.compile(r"^(难道|是否|为什么|为何|怎么|如何|谁|什么)")
# Words that ask: a clause holding one is part of the question ("……,你拿啥干?").
_ASKS = re.compile(
    r"吗|呢|什么|哪|谁|怎|咋|啥|为何|几|多少|是不是|会不会|能不能|有没有|要不要|对不对|是否|还是|岂|难道|何"
)
# Characters a statement before the question needs to assert anything of its own ("上级和下级,谁是谁的客户?"
# only sets up the question).
_STATEMENT_MIN = 8
_CLAUSE = re.compile(r"[^，；：]+[，；：]?")
_STRIP = " \t\n“”‘’（）()·-—*#>•●○◆■□▪"

# Text run on without punctuation ("……就没法干只能返工所以前面的要对后面负责但他也得给我人……") still
# has clauses: they open with a connective. A stretch of at least RUN_ON words between two marks is cut
# before each connective that has at least RUN_ON_PIECE words before it, so that what is sentence-wide
# (negation, a rule's elements together, a view being rejected) stays within one clause as in written
# prose. Clauses of punctuated writing are far shorter (99.5% of the corpus's hold at most 15 words).
RUN_ON = 20
RUN_ON_PIECE = 6
CLAUSE_OPENERS = frozenset(
    "所以 因此 因为 但是 但 可是 不过 然后 后来 接着 于是 这时候 这时 那时候 反过来 不然 要不 要不然 否则 "
    "要是 如果 假如 其实 比如 比方说 另外 还有 总之 也就是说 换句话说 说白了 再说 而且 并且 同样".split()
)
_MARKS = frozenset("，、；：,;:")
# A stretch of RUN_ON words holds at least RUN_ON characters.
_LONG_STRETCH = re.compile(rf"[^，、；：,;:。！？\s]{{{RUN_ON},}}")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the normalised text: ``text == normalized[start:end]``."""

    index: int
    start: int
    end: int
    text: str
    is_question: bool
    # Where the sentence starts to ask: ``end`` when it asserts throughout, ``start`` when it only
    # asks. A statement followed by a rhetorical question ("领导是客户,可领导不给你人,你拿啥干?")
    # asserts what comes before the question.
    asks_from: int


def _is_question(body: str) -> bool:
    if body.endswith("？"):
        # "……吧?" asks to be agreed with: it states what it asks about ("班长也得给咱弄工具吧?").
        return not body.rstrip("？").endswith("吧")
    core = body.rstrip("。！；")
    return bool(_QUESTION_TAIL.search(core)) or (bool(_QUESTION_HEAD.match(core)) and "？" in body)


def _asks_from(body: str) -> int:
    """Offset in ``body`` where a question sentence starts to ask: the run of clauses with a word that
    asks at its end, unless the clauses before it are too short to assert anything (then 0: all of it
    asks). An asking word before that run is no question ("班长得给我们讲明白要啥,缺啥给配上,不然
    我们拿啥干?": 啥 stands for "whatever")."""
    if _QUESTION_HEAD.match(body):
        return 0
    clauses = [m for m in _CLAUSE.finditer(body) if m.group(0)]
    k = len(clauses)
    while k and _ASKS.search(clauses[k - 1].group(0)):
        k -= 1
    if k == len(clauses):
        # No word asks: the question mark makes a question of the clause it ends ("……,一个个都当大爷,那车站
        # 还转得动?"), as a rhetorical question asks with no asking word.
        k -= 1
    if not k:
        return 0
    statement = sum(ch.isalnum() for clause in clauses[:k] for ch in clause.group(0))
    return clauses[k].start() if statement >= _STATEMENT_MIN else 0


def _run_on_cuts(tokens: Sequence[Token], starts: list[int], start: int, end: int) -> list[int]:
    """Offsets inside [start, end) where a stretch run on without punctuation is cut into clauses."""
    cuts: list[int] = []
    stretch: list[Token] = []
    for token in [*tokens[bisect_left(starts, start) : bisect_left(starts, end)], None]:
        if token is not None and token.text.strip() and token.text not in _MARKS and token.text not in _TERMINALS:
            stretch.append(token)
            continue
        words = [t for t in stretch if any(ch.isalnum() for ch in t.text)]
        if len(words) >= RUN_ON:
            since = 0
            for word in words:
                if word.text in CLAUSE_OPENERS and since >= RUN_ON_PIECE:
                    cuts.append(word.start)
                    since = 0
                since += 1
        stretch = []
    return cuts


def split_sentences(text: str, tokens: Sequence[Token] = ()) -> list[Sentence]:
    """Return the non-empty sentences of ``text`` with their spans, in order. With the text's
    ``tokens``, a stretch run on without punctuation is also cut into its clauses (see RUN_ON)."""
    sentences: list[Sentence] = []
    starts: list[int] = []  # the tokens' offsets, listed once a long stretch needs them
    for match in _SPLIT.finditer(text):
        raw = match.group(0)
        if not raw:
            continue
        lead = len(raw) - len(raw.lstrip(_STRIP))
        body = raw.strip(_STRIP)
        if not body or all(ch in _TERMINALS or ch in "，、：" for ch in body):
            continue
        start = match.start() + lead
        cuts: list[int] = []
        if tokens and _LONG_STRETCH.search(body):
            starts = starts or [t.start for t in tokens]
            cuts = _run_on_cuts(tokens, starts, start, start + len(body))
        for piece_start, piece_end in zip([start, *cuts], [*cuts, start + len(body)], strict=True):
            _append(sentences, text[piece_start:piece_end], piece_start)
    return sentences


def _append(sentences: list[Sentence], body: str, start: int) -> None:
    end = start + len(body)
    asks_from = start + _asks_from(body) if _is_question(body) else end
    sentences.append(
        Sentence(
            index=len(sentences),
            start=start,
            end=end,
            text=body,
            is_question=asks_from == start,
            asks_from=asks_from,
        )
    )
