"""Negation and contrast scope in Chinese clauses.

Generic language facts, not facts about any exam question: which words negate what
follows them inside a clause, which words merely look negative (不仅, 不断, 不同 …), and
which words end a negation's scope (而是, 但是 …). A rubric can add to these lists.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from operator import itemgetter

from .segment import Token

__all__ = ["NegationScope", "Negator"]

NEGATORS = frozenset(
    {
        "不",
        "没",
        "没有",
        "不是",
        "并非",
        "非",
        "无需",
        "无须",
        "不用",
        "不必",
        "未",
        "未必",
        "别",
        "不要",
        "不会",
        "不能",
        "并不",
        "绝不",
        "从不",
        "不再",
        "毫无",
        "谈不上",
        "算不上",
        "不算",
        "不属于",
        "不存在",
        "无法",
        "误以为",
        "错以为",
        "错误地认为",
        "不应",
        "不应该",
        "不该",
        "不需要",
        "用不着",
        "没必要",
        "并没有",
        "从未",
        "绝非",
        "而非",
        "不等于",
        "并不是",
        "就不是",
        "也不是",
        "都不是",
        "才不是",
    }
)
# Tokens that start like a negator but do not negate.
NOT_NEGATING = frozenset(
    {
        "不仅",
        "不但",
        "不只",
        "不光",
        "不单",
        "不断",
        "不同",
        "不少",
        "不错",
        "不管",
        "不论",
        "不久",
        "不过",
        "不得不",
        "不可或缺",
        "不可缺少",
        "非常",
        "无论",
        "不禁",
        "不一定",
        "说不准",
        "说不定",
        "不外乎",
        "不然",
        "不止",
        "不免",
        "未来",
        "不妨",
        "无私",
        "不懈",
        "毫不犹豫",
        "不厌其烦",
        "无微不至",
        "没准",
        "不能不",
        "不可不",
        "不会不",
        "没有不",
        "无不",
        "不无",
        "非得",
        "缺一不可",
        "不可分割",
        "密不可分",
        "必不可少",
        "不停",
        "不仅仅",
        "不怕",
        "不吝",
        "不分",
        # "Dare not" reports holding back ("有困难也不敢提"); it does not deny that the thing is so or is right.
        "不敢",
    }
)
# A negator followed by one of these reads "not only" or is rhetorical (不就是……吗), which does not negate.
_ONLY_AFTER = frozenset({"只是", "只", "仅", "仅仅", "光", "光是", "单", "单是", "单单", "止", "就", "就是", "正是"})


def _clause_reaches(
    tokens: Sequence[Token], start: int, breaks: frozenset[str], words: frozenset[str], reach: int
) -> bool:
    """Whether the clause from ``start`` goes on, within ``reach`` words, to one of ``words``; ``breaks``: the
    words that end a clause (the negator's scope breaks)."""
    for token in tokens[start : start + reach]:
        if token.text in breaks or not token.text.strip():
            return False
        if token.text in words:
            return True
    return False


def _views(tokens: Sequence[Token], at: int) -> bool:
    """Whether a verb of seeing or understanding comes at ``at``, after a 地 or 的 of manner if any."""
    if at < len(tokens) and tokens[at].text in _MANNER:
        at += 1
    return at < len(tokens) and tokens[at].text in _VIEWING


def _reported(clause: list[Token], text: str, before: list[Token]) -> list[tuple[int, int, int]]:
    """What others say, denied by a clause that only rejects it ("有人说内部客户是互相的,我不太同意"): the
    statement after the reporting words of the clause ``before``. An "only" in it disarms the rejection, as
    it does a post-negator's ("有人觉得只有上级是客户,我可不这么看" rejects the "only"). ``text``: the clause's text."""
    if not before:
        return []
    rejection = _BARE_REJECTION.fullmatch(text)
    if rejection is None:
        return []
    opening = _REPORTING.match("".join(t.text for t in before))
    if opening is None:
        return []
    stated = [t for t in before if t.start >= before[0].start + opening.end()]
    if not stated or any(t.text in EXCLUSIVE for t in stated):
        return []
    start = clause[0].start
    return [(stated[0].start, start + rejection.start("no"), start + rejection.end("no"))]


def _reads_only(word: str) -> bool:
    """Whether a negator before ``word`` reads "not only" (不是只管, 不光会要)."""
    return word in _ONLY_AFTER or (word != "" and word[0] in "只仅")


# "Not until": a negator before 等 (wait) and, later in its clause, one of these (别等……再……, 不要等……才……).
_UNTIL = frozenset({"再", "才"})
# After 说, what reads "hard to say" (谁是谁的客户说不准) rather than a denial.
_UNSURE = frozenset({"不准", "不定", "不好", "不清", "不清楚"})
# What closes 非…… into an emphatic "bound to" (非乱套不可), which negates nothing.
_EMPHATIC_CLOSE = frozenset({"不可", "不行", "不成"})
_PARTICLES = frozenset({"了", "的", "啊", "呀", "吧", "啦"})
# A verb of saying or thinking between a negator and "only" ("不能说只有……") still reads "not only".
_SAYING = frozenset({"说", "讲", "认为", "觉得", "以为"})
# "No one": what follows it says what no one is ("没有谁光是客户" — no one is only a customer).
_ANYONE = frozenset({"谁", "人", "哪个", "哪个人", "哪一方", "哪方", "任何人", "任何一方", "一个人"})
# "Which" or "any" before a noun ("哪个部门", "哪 一方", "任何 部门"): with its noun, "anyone" again.
_WHICH = frozenset({"哪个", "哪", "哪一个", "哪些", "哪位", "哪家", "任何", "任何一个"})
# A negator before a word of permanence denies the permanence, not the role ("没有绝对的客户和供方",
# "不是永远的客户": the roles change).
_PERMANENCE_AFTER = frozenset({"绝对", "永远", "固定", "一成不变", "天生", "永久", "始终", "一直", "死"})
# Copulas and "has no": "X不是Y" / "X没有Y" deny that X is or has Y (what follows), not X itself
# ("下一道工序不是外人,他们就是我的客户"). Only with nothing after them ("上级是客户,下级不是") do they
# deny what precedes.
COPULA_NEGATORS = frozenset(
    {
        "不是",
        "并不是",
        "也不是",
        "就不是",
        "都不是",
        "才不是",
        "并非",
        "绝非",
        "而非",
        "非",
        "不算",
        "不属于",
        "不等于",
        "没有",
        "没",
        "并没有",
        "没人",
    }
)
# Negators that deny rather than leave an action undone.
_DENIALS = COPULA_NEGATORS | frozenset(
    {"谈不上", "算不上", "不存在", "不需要", "用不着", "没必要", "无需", "无须", "不必", "不用", "从不", "绝不", "毫无"}
)
# What a clause after a condition opens with or holds: "仓库不给我们发料,我们就没法生产" states a
# dependence, the negation inside the condition denies nothing.
_CONSEQUENCE = frozenset({"就", "才", "便", "就会", "就得", "就要", "就能", "那就", "那么"})
# A clause opening with "otherwise" gives what happens if the clause before is not heeded ("这个关系不能倒过来,
# 不然就乱套了"): the clause before states a rule, not a condition, and its negation denies.
_OTHERWISE = frozenset({"不然", "否则", "要不然", "不然的话", "否则的话"})
# A negator before a word of failure says the work is done well ("服务不出错", "不耽误后面"): it denies
# the failure, not the rest of its clause.
_FAILURE_AFTER = frozenset(
    {
        *("出错", "出差错", "差错", "错", "耽误", "拖延", "延误", "失误", "误事"),
        *("马虎", "含糊", "遗漏", "落下", "出岔子", "掉队"),
    }
)
# Trouble caused to someone ("不给下一道添麻烦", "别给后面的人添堵"): a negator before it, with or without the one
# spared between (给/替/对 + whom), says the work is done for them, as before a word of failure.
_TROUBLE = frozenset({"添麻烦", "找麻烦", "添堵", "添乱", "拖后腿", "掉链子", "为难", "使绊子", "挖坑"})
_BENEFACTIVE = frozenset({"给", "替", "对"})
# A negator that opens what the action before it is for or leads to ("交给下道工序不让他们返工",
# "保护他人不受伤害", "支持员工不被打扰"): it denies what follows, not the clause before it.
_PURPOSE = frozenset({"不让", "不使", "不被", "不受", "不叫", "不致", "不至于", "别让"})
_PURPOSE_AFTER = frozenset({"让", "使", "叫", "致", "至于"})
_PASSIVE = frozenset("受被")  # 受伤害, 受影响, 被打扰: what is suffered, whatever the segmenter joins to it
_PASSIVE_NEGATORS = frozenset({"不被", "不受"})

# Marks between the items of a list.
_LIST_MARKS = frozenset("、")

# Words and marks that end the scope of a negation inside a sentence.
SCOPE_BREAKS = frozenset(
    {
        "而是",
        "而",
        "但",
        "但是",
        "却",
        "其实",
        "反而",
        "可是",
        "然而",
        "只是",
        "实际上",
        "事实上",
        "，",
        "；",
        "：",
        "、",
    }
)


# Modal negators: "must not / need not / should not" forbid or waive the action that follows them.
# Followed by a predicate of their own ("……工序客户不能片面地理解"), they deny that predicate, not the
# words before them; at the end of their clause ("……是不应该的") they still judge what precedes.
MODAL_NEGATORS = frozenset(
    {
        "不能",
        "不要",
        "不应",
        "不应该",
        "不该",
        "别",
        "不可",
        "不必",
        "不用",
        "无需",
        "无须",
        "不需要",
        "用不着",
        "没必要",
    }
)
# Forbidding a one-sided view ("不能片面地理解", "不要单方面地看", "别片面地认为只有……") warns against seeing
# the matter only one way: like "not only", it denies nothing of what follows. Saying a thing is not
# one-sided ("并不片面") still denies, and so does forbidding a one-sided act ("不能片面地只顾自己").
_PROHIBITIVE = frozenset({"不能", "不要", "不应", "不应该", "不该", "别", "不可", "切不可", "千万不能", "千万别"})
_ONE_SIDED = frozenset({"片面", "单方面", "单向", "孤立"})
_MANNER = frozenset({"地", "的"})
_VIEWING = frozenset({"理解", "认为", "看", "看待", "以为", "觉得", "想", "对待", "解读", "认识", "地看", "看问题"})
# What opens the clause after "A不是X" to say what A is instead.
_RATHER = frozenset({"而是", "而", "是", "倒是", "反而是", "其实是", "实际上是", "恰恰是"})
# Modal verbs that start a new predicate: they end a modal negator's scope ("不能片面理解要结合……").
_NEXT_MODAL = frozenset({"要", "应该", "应当", "必须", "需要", "还要", "更要", "也要", "就要", "而要", "应"})
# Words that end a clause's predicate rather than start one: a modal negator before them has none.
_NO_PREDICATE = frozenset({"的", "了", "吗", "呢", "吧", "啊", "呀", "嘛"})


# Words after a statement that declare it false ("职级客户是不存在的", "……这个说法不成立").
POST_NEGATORS = frozenset(
    {
        "不存在",
        "不成立",
        "空话",
        "空谈",
        "不对",
        "错误",
        "错的",
        "不正确",
        "不准确",
        "是假的",
        "胡说",
        "没有道理",
        "行不通",
        "不可能",
        "没用",
        "没有用",
        "瞎说",
        "说不通",
        "不靠谱",
    }
)
# A clause naming a statement as a saying, a view or a thought ("这种说法", "这话"), and words that reject
# it when they follow ("……这种想法我不认同"; the post-negators above do too).
_REFERENCE = re.compile(r"(?:这种|这个|这样的|这一|此)(?:说法|看法|想法|观点|理解|提法)|这话|这句话")
_REJECTION = re.compile(
    r"(?:不|不太|不大|并不|绝不)(?:认同|同意|赞成|赞同|接受|苟同)|不太对|不大对|要不得|不可取|站不住"
)
# What others say ("有人说……", "很多人认为……") opening a clause, and a clause that only rejects it, in the
# speaker's own voice ("我不太同意", "但我可不这么看"): together they deny what was said.
_REPORTING = re.compile(
    r"(?:也|还|总)?(?:有人|有的人|有些人|一些人|很多人|许多人|不少人|好多人|大家都|人们|别人|外人|有同事|一般人)"
    r"(?:常|总|老|都|也|会)?(?:说|认为|觉得|以为|讲)"
)
_BARE_REJECTION = re.compile(
    r"(?:但|但是|可|可是|不过|对此)?(?:我|我们|本人|我个人)(?:并|可|倒|却|就|是)?"
    r"(?P<no>(?:不太|不大|不|绝不)(?:认同|同意|赞成|赞同|这么看|这样看|这么认为|这样认为|这么想|以为然|苟同))"
    r"(?:这种说法|这个说法|这种看法|这个看法|这一点|这话)?[的了啊呀吧]?[\W_]*"
)
# "Only X is wrong" denies the "only", not X: these words before a post-negator disarm it.
# A clause that states a condition ("如果上级不给资源") does not deny its subject.
CONDITIONAL = frozenset(
    {"如果", "要是", "假如", "一旦", "若", "若是", "倘若", "否则", "不然", "万一", "只要", "除非", "真要", "真要是"}
)
EXCLUSIVE = frozenset(
    {"只", "只有", "仅", "仅仅", "光", "单方面", "一味", "只是", "只把", "只要", "只需", "只认", "只讲"}
)
# A clause opens a condition when one of its first words is a word of condition ("但组长如果……").
_CONDITION_OPENS_WITHIN = 3


# A negation reaches a verb phrase: at most this many words before or after itself. In punctuated
# writing its clause nearly always ends sooner (60% of the corpus's clauses hold at most 5 words, 89% at
# most 8); in text run on without punctuation ("……这不是耽误人家吗所以前面的要对后面的负责……") a
# negator would otherwise deny everything from the start of the answer to its end.
SCOPE_WORDS = 6

# Punctuation and symbols: not a word that could be a predicate.
_NOT_CONTENT = re.compile(r"[\W_]+")


@lru_cache(maxsize=8)
def _alternation(words: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))))


@lru_cache(maxsize=8)
def _trigger(negators: frozenset[str], post_negators: frozenset[str]) -> re.Pattern[str]:
    """Anything that could make a token a negator or start a post-negator. (A word holding 不, 没 or 未
    is found by those characters already: it would only lengthen the alternation tried at each one.)"""
    rest = frozenset(w for w in negators | post_negators if not any(ch in w for ch in "不没未"))
    return re.compile("[不没未]|" + _alternation(rest).pattern if rest else "[不没未]")


@dataclass(frozen=True, slots=True)
class Negator:
    """Tunable word lists; the defaults suit ordinary written Chinese."""

    negators: frozenset[str] = NEGATORS
    not_negating: frozenset[str] = NOT_NEGATING
    scope_breaks: frozenset[str] = SCOPE_BREAKS
    post_negators: frozenset[str] = POST_NEGATORS
    modal: frozenset[str] = MODAL_NEGATORS

    def extended(self, negators: Iterable[str] = (), not_negating: Iterable[str] = ()) -> Negator:
        """Return a copy with extra words (from a rubric)."""
        return Negator(
            negators=self.negators | frozenset(negators),
            not_negating=self.not_negating | frozenset(not_negating),
            scope_breaks=self.scope_breaks,
            post_negators=self.post_negators,
            modal=self.modal,
        )

    def is_negator(self, tokens: Sequence[Token], i: int) -> bool:
        word = tokens[i].text
        if word in self.not_negating:
            return False
        if word in _UNSURE and i and tokens[i - 1].text == "说":  # 说不准, 说不好: hard to say, nothing denied
            return False
        if word in self.negators or (len(word) > 1 and word[0] in "不没未" and word[:2] not in self.not_negating):
            after = i + 1
            if (
                after + 2 < len(tokens)
                and tokens[after].text in _WHICH
                and (tokens[after + 2].text == "是" or _reads_only(tokens[after + 2].text))
            ):
                after += 2  # "没有哪个部门是光享受服务的": "which department" is "anyone" as "who" is
            elif after + 1 < len(tokens) and tokens[after].text in _ANYONE:  # "没有谁光是客户": read past "who"
                after += 1
            if after + 1 < len(tokens) and tokens[after].text == "是":  # "没人是永远的客户"
                after += 1
            if after + 1 < len(tokens) and tokens[after].text in _SAYING:  # "不能说只有后面的是客户"
                after += 1
            nxt = tokens[after].text if after < len(tokens) else ""
            # "别等都装上去了再拆" (don't wait until it is all fitted to take it apart): advice to act sooner; it
            # denies neither the waiting nor what follows.
            if nxt == "等" and _clause_reaches(tokens, after + 1, self.scope_breaks, _UNTIL, SCOPE_WORDS + 2):
                return False
            # "不给下一道添麻烦", "别给后面的人添堵": the negator spares someone trouble (see _TROUBLE).
            if nxt in _TROUBLE or (
                nxt in _BENEFACTIVE and _clause_reaches(tokens, after + 1, self.scope_breaks, _TROUBLE, 6)
            ):
                return False
            if word in _PROHIBITIVE and nxt in _ONE_SIDED and _views(tokens, after + 1):
                return False
            # "不是只管下命令", "不光会要": the negator reads "not only" before a word starting with "only".
            return not _reads_only(nxt) and nxt not in _FAILURE_AFTER and nxt not in _PERMANENCE_AFTER
        return False

    def scope(self, tokens: Sequence[Token], phrases: Sequence[tuple[int, int]] = ()) -> NegationScope:
        """Compute the stretches of a sentence that a negator governs, before or after it.

        A negator also denies what comes before it in its clause ("各部门互不服务",
        "上级从不需要……"), unless the clause is a condition (如果……不……), the negator
        lies inside one of ``phrases`` the rubric looks for ("不是单向的" states something;
        it does not deny its subject), it is a modal negator (不能, 不要, 不应 …) followed
        by a predicate of its own ("……工序客户,不能片面地理解"): that forbids what follows, or
        a copula (不是, 没有 …) followed by a predicate holding none of ``phrases``
        ("下一道工序不是外人"). A negator inside a condition denies nothing.
        """
        if _trigger(self.negators, self.post_negators).search("".join(map(itemgetter(0), tokens))) is None:
            return _NOTHING_NEGATED  # most sentences: no word that could negate
        stretches: list[tuple[int, int, int]] = []
        post: list[tuple[int, int, int]] = []
        opened: Token | None = None
        opened_at = 0
        clause: list[Token] = []
        listed: list[Token] = []  # the items before the clause in a list joined by 、
        before: list[Token] = []  # the clause before this one
        negators_seen: set[int] = set()
        reports: list[tuple[int, int, int]] = []  # what others say, rejected in the speaker's voice
        modal = False  # the open negator is a modal one with a predicate of its own
        # Negators that deny nothing here: in a condition, in an emphatic double negative, in what a "not only"
        # rejects.
        idle = self._conditions(tokens) | self._emphatic(tokens) | self._inside_not_only(tokens)
        for i, token in enumerate(tokens):
            if opened is not None and i - opened_at > SCOPE_WORDS:
                stretches.append((opened.start, opened.end, token.start))
                opened, modal = None, False
            if modal and opened is not None and token.text in _NEXT_MODAL:
                stretches.append((opened.start, opened.end, token.start))
                opened, modal = None, False
            if token.text in self.scope_breaks or token.text.strip() == "":
                if opened is not None:
                    stretches.append((opened.start, opened.end, token.start))
                    opened = None
                if token.text in _LIST_MARKS and clause:
                    # Items listed with 、 share a verdict said of them after the list ("部门之间互为客户、
                    # 互为供方也是错误的"): a post-negator's clause goes on across the mark, though a
                    # negator governs only its own item.
                    listed.extend([*clause, token])
                    clause = []
                    continue
                ended = [*listed, *clause]
                self._clause_verdicts(ended, before, post, reports)
                if ended:
                    before = ended
                clause, listed = [], []
                continue
            clause.append(token)
            if self.is_negator(tokens, i):
                if i in idle:
                    # A condition ("如果上级不给资源,……", "仓库不发料,我们就……") states what depends on
                    # what: its negation denies nothing, before or after it; nor do the others in ``idle``.
                    negators_seen.add(token.start)
                    continue
                conditional = any(t.text in CONDITIONAL for t in clause)
                absorbed = any(
                    a <= token.start and token.end <= b and b - a > token.end - token.start for a, b in phrases
                )
                # The subject a negator denies starts after the previous negator of the clause.
                subject = max(
                    [
                        clause[max(0, len(clause) - 1 - SCOPE_WORDS)].start,
                        *(t.end for t in clause[:-1] if t.start in negators_seen),
                    ]
                )
                forbids = self._has_predicate(tokens, i)
                if forbids and token.text in COPULA_NEGATORS and self._phrase_follows(tokens, i, phrases):
                    # "服务别人不是义务": what it denies of its subject is something the rubric looks for;
                    # the whole statement is denied, its subject with it.
                    forbids = False
                nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
                passive = token.text in _PASSIVE_NEGATORS or (token.text in ("不", "别") and nxt[:1] in _PASSIVE)
                purpose = passive or token.text in _PURPOSE or nxt in _PURPOSE_AFTER
                negators_seen.add(token.start)
                if purpose and not passive:
                    # "不想让后面的同事返工", "不让问题流到后面去": keeping a harm from someone cares for
                    # them; it denies neither the action before it nor whom it protects. (The passive
                    # "不受伤害" still denies the harm that follows.)
                    continue
                if (
                    not absorbed
                    and not conditional
                    and subject < token.start
                    and not forbids
                    and not purpose
                    and not (token.text in COPULA_NEGATORS and self._rather_follows(tokens, i))
                ):
                    post.append((subject, token.start, token.end))
                if opened is None:
                    # A modal negator's scope ends where the next modal predicate starts; a copula's does not.
                    opened, modal = token, forbids and token.text not in COPULA_NEGATORS
                    opened_at = i
                else:  # a second negator in the same scope cancels the first
                    stretches.append((opened.start, opened.end, token.start))
                    opened = None
        if opened is not None:
            stretches.append((opened.start, opened.end, tokens[-1].end))
        self._clause_verdicts([*listed, *clause], before, post, reports)
        return NegationScope(stretches=tuple(stretches), post=tuple(sorted([*post, *reports])), reports=tuple(reports))

    def _clause_verdicts(
        self,
        clause: list[Token],
        before: list[Token],
        post: list[tuple[int, int, int]],
        reports: list[tuple[int, int, int]],
    ) -> None:
        """What an ended clause declares false, added to ``post``: by its post-negators, by rejecting a saying
        it refers to, or (added to ``reports`` too) by rejecting what others say in the clause ``before``."""
        if not clause:
            return
        text = "".join(t.text for t in clause)
        post.extend(self._post(clause, text))
        post.extend(self._referred(clause, text, before))
        reports.extend(_reported(clause, text, before))

    def _rather_follows(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether the clause after the one of the token at ``i`` opens with "rather" (而是, 是 …): "A不是X,而是Y"
        says what A is instead, so the copula denies X, not A ("内部客户不是谁比谁高一等,而是看谁把东西交给谁")."""
        for j in range(i + 1, len(tokens)):
            if tokens[j].text in self.scope_breaks:
                following = next((t.text for t in tokens[j + 1 :] if t.text.strip()), "")
                return following in _RATHER
        return False

    def _inside_not_only(self, tokens: Sequence[Token]) -> set[int]:
        """Indices of the negators in what a "not only" rejects, up to its clause's end: in "不能只当客户不当
        供方" the 不 before 供方 is part of the view rejected (being a customer and never a supplier)."""
        out: set[int] = set()
        for i, token in enumerate(tokens[:-1]):
            word, at = token.text, i + 1
            if at + 1 < len(tokens) and tokens[at].text in _SAYING:
                at += 1
            nxt = tokens[at].text
            negator = word in self.negators or (word != "" and word[0] in "不没未")
            if not negator or not _reads_only(nxt):
                continue
            for j in range(at + 1, len(tokens)):
                if tokens[j].text in self.scope_breaks:
                    break
                if self.is_negator(tokens, j):
                    out.add(j)
        return out

    def _emphatic(self, tokens: Sequence[Token]) -> set[int]:
        """Indices of the negators of a double negative that affirms: 非……不可 / 不行 / 不成 closing a clause
        ("环节非卡死不可": it is bound to jam)."""
        out: set[int] = set()
        for i, token in enumerate(tokens):
            if token.text != "非":
                continue
            for j in range(i + 1, min(len(tokens), i + 1 + SCOPE_WORDS)):
                text = tokens[j].text
                if text in self.scope_breaks:
                    break
                if text in _EMPHATIC_CLOSE:
                    end = j + 1
                elif text == "不" and j + 1 < len(tokens) and tokens[j + 1].text in ("可", "行", "成"):
                    end = j + 2
                else:
                    continue
                # Only closing its clause: 非……不可。 is "bound to", 非客户不可进入 a prohibition.
                if end == len(tokens) or not tokens[end].text.isalnum() or tokens[end].text in _PARTICLES:
                    out.update((i, j))
                break
        return out

    def _phrase_follows(self, tokens: Sequence[Token], i: int, phrases: Sequence[tuple[int, int]]) -> bool:
        """Whether one of ``phrases`` starts after the token at ``i``, in its clause."""
        end = next((t.start for t in tokens[i + 1 :] if t.text in self.scope_breaks), tokens[-1].end)
        return any(tokens[i].end <= a < end for a, _ in phrases)

    def _conditions(self, tokens: Sequence[Token]) -> set[int]:
        """Indices of the tokens in clauses that state a condition: a clause opening with a word of
        condition (如果, 要是 …), or one followed by a clause holding a consequence (就, 才 …); and of
        the tokens of the consequence of a condition opened with such a word."""
        clauses: list[list[int]] = [[]]
        listed: list[bool] = []  # per clause: whether a list mark (、) ends it
        for i, token in enumerate(tokens):
            if token.text in self.scope_breaks or token.text.strip() == "":
                listed.append(token.text in _LIST_MARKS)
                clauses.append([])
            else:
                clauses[-1].append(i)
        listed.append(False)
        # jieba may cut a denial in two (不 / 存在 before a noun).
        acts = [
            not any(tokens[i].text in _DENIALS for i in clause)
            and not any(tokens[i].text + tokens[j].text in _DENIALS for i, j in pairwise(clause))
            for clause in clauses
        ]
        # An action not done ("仓库不发料") followed by a clause of consequence may be a condition; so may each
        # item of a list of them ("他不把纸调来、不把人排好,我们就只能干等"). A denial ("谈不上", "不是") stays one.
        follows = [False] * len(clauses)
        for k in range(len(clauses) - 2, -1, -1):
            consequence = any(tokens[i].text in _CONSEQUENCE for i in clauses[k + 1])
            otherwise = bool(clauses[k + 1]) and tokens[clauses[k + 1][0]].text in _OTHERWISE
            follows[k] = acts[k] and not otherwise and (consequence or (listed[k] and follows[k + 1]))
        found: set[int] = set()
        pending = False  # a condition opened and its consequence not reached yet
        for k, clause in enumerate(clauses):
            words = [tokens[i].text for i in clause]
            # The word of condition may follow a connective and a subject ("但组长如果只管要数字").
            # The segmenter may split a word of condition in two (真 要).
            opens = any(w in CONDITIONAL for w in words[:_CONDITION_OPENS_WITHIN]) or any(
                a + b in CONDITIONAL for a, b in pairwise(words[: _CONDITION_OPENS_WITHIN + 1])
            )
            cut = next((j for j, i in enumerate(clause) if tokens[i].text in _CONSEQUENCE), len(clause))
            # Clauses after the one that opens a condition go on stating it until its consequence: the one
            # holding a word of consequence, or else the sentence's last ("如果……,不给培训、不给支持,我们也做不出来").
            carried = pending and acts[k] and (cut < len(clause) or k + 1 < len(clauses))
            # An action not done and its consequence in one clause, with no mark between them ("前面的活没干完后面
            # 的就干不了"): the action is a condition too. (没 before a verb leaves it undone; it denies nothing.)
            inline = (
                0 < cut < len(clause)
                and any(self.is_negator(tokens, i) for i in clause[:cut])
                and not any(tokens[i].text in _DENIALS and tokens[i].text != "没" for i in clause[:cut])
            )
            if opens or follows[k] or carried or inline:
                # Up to the consequence inside the clause: a clause that only follows a condition ("仓库不发料,
                # 我们就……") keeps the negations of its consequence.
                found.update(clause[:cut])
            if (pending or opens) and cut < len(clause):
                # The consequence of a condition is as hypothetical as the condition: "如果人人都只当客户,
                # 部门之间就没法配合" warns of what would happen; it denies nothing of the answer's points.
                found.update(clause[cut:])
            pending = (opens or carried) and cut == len(clause)
        return found

    def _has_predicate(self, tokens: Sequence[Token], i: int) -> bool:
        """Whether the negator at ``i`` is a modal one or a copula with a predicate of its own after it."""
        if (tokens[i].text not in self.modal and tokens[i].text not in COPULA_NEGATORS) or i + 1 >= len(tokens):
            return False
        nxt = tokens[i + 1].text
        if nxt in self.scope_breaks or nxt in _NO_PREDICATE or nxt.strip() == "":
            return False
        return _NOT_CONTENT.fullmatch(nxt) is None

    def _post(self, clause: list[Token], text: str) -> list[tuple[int, int, int]]:
        """Post-negators of one clause (its text ``text``), unless an "only" word before them disarms them."""
        if len(clause) < 2:
            return []
        start = clause[0].start
        starts = [t.start for t in clause]
        found = []
        for match in self._post_pattern().finditer(text, 1):
            at = match.start()
            if not any(t.text in EXCLUSIVE for t in clause if t.end <= start + at):
                # What it declares false starts at most SCOPE_WORDS words before it.
                before = bisect_right(starts, start + at) - 1
                found.append((starts[max(0, before - SCOPE_WORDS)], start + at, start + match.end()))
        return found

    def _referred(self, clause: list[Token], text: str, before: list[Token]) -> list[tuple[int, int, int]]:
        """A statement rejected by a clause that refers back to it as a saying, view or thought
        ("上级也要为下级服务,这种说法是错的", "……这种想法我不认同"): the statement before the reference,
        in the same clause or else in the clause ``before``. As with a post-negator, an "only" in the
        statement disarms the rejection: what it rejects is the "only" ("只认自己是客户,这种想法不对").
        ``text``: the clause's text."""
        start = clause[0].start
        reference = _REFERENCE.search(text)
        if reference is None:
            return []
        rejection = self._post_pattern().search(text, reference.end()) or _REJECTION.search(text, reference.end())
        if rejection is None:
            return []
        stated = [t for t in clause if t.end <= start + reference.start()]
        if not _NOT_CONTENT.sub("", "".join(t.text for t in stated)):
            stated = before  # the reference opens its clause: it refers to the clause before
        if not stated or any(t.text in EXCLUSIVE for t in stated):
            return []
        return [(stated[0].start, start + rejection.start(), start + rejection.end())]

    def _post_pattern(self) -> re.Pattern[str]:
        return _alternation(self.post_negators)


@dataclass(frozen=True, slots=True)
class NegationScope:
    """Negated stretches of a sentence.

    ``stretches``: (negator start, negator end, end of scope) for negators that govern what
    follows them; ``post``: (clause start, negator start, negator end) for words that
    declare the preceding part of their clause false.
    """

    stretches: tuple[tuple[int, int, int], ...]
    post: tuple[tuple[int, int, int], ...] = ()
    # Of ``post``: statements others make ("有人说……") that the speaker rejects ("……,我不同意").
    reports: tuple[tuple[int, int, int], ...] = ()

    def __bool__(self) -> bool:
        """False when nothing in the sentence is negated."""
        return bool(self.stretches or self.post)

    def covers(self, start: int, end: int, *, ignore_post: frozenset[int] = frozenset()) -> bool:
        """True when the phrase at [start, end) is negated.

        A phrase is negated when it follows a negator (or starts inside one, as 是相互 in
        不是相互) within the negator's scope, or when it precedes a post-negator in its
        clause. A phrase that contains the whole negator (不是单向) states the negation
        itself and is not negated by it. Post-negators whose start is in ``ignore_post``
        are part of the pattern being matched and do not count.
        """
        for neg_start, neg_end, scope_end in self.stretches:
            if start <= neg_start and neg_end <= end:
                continue
            if neg_start <= start and neg_end < end <= scope_end:
                return True
        return any(
            clause_start <= start and end <= neg_start and neg_start not in ignore_post
            for clause_start, neg_start, _ in self.post
        )


_NOTHING_NEGATED = NegationScope(stretches=())
