"""Advice on a valid rubric: rules that load but cannot work as their author meant. Nothing here
rejects a rubric; `yuejuan rubric check` prints the advice beside its verdict.

A rule whose elements must each have words of their own (two or more elements: see the matcher's
own-words check) does not count a word lying inside another element's longer phrase: 客户 inside
互为客户 does not make a second element. A phrase the author lists as one element that holds a word
of another element ("再交给" beside a group holding 交给) therefore cannot supply both: where the
sentence has only the phrase, the rule does not match.
"""

from __future__ import annotations

from ..errors import RubricProblem
from .schema import Rubric, Rule

__all__ = ["rubric_advice"]


def _words(rubric: Rubric, element: str) -> list[str]:
    return list(rubric.lexicon.get(element[1:], ())) if element.startswith("@") else [element]


def _rule_advice(rubric: Rubric, rule: Rule, where: str, file: str) -> list[RubricProblem]:
    if len(rule.all) + bool(rule.any) < 2:
        return []  # a single element has no other element to share its words with
    problems = []
    for field, elements in (("all", rule.all), ("any", rule.any)):
        for i, phrase in enumerate(elements):
            if phrase.startswith("@"):
                continue
            # Each element of `all` needs words of its own. A word of an `any` element inside a phrase of `all`
            # is meant not to count ("职级" inside "职级客户" explains nothing): no advice on that.
            for other in rule.all:
                inside = [w for w in _words(rubric, other) if w != phrase and w in phrase]
                if other == phrase or not inside:
                    continue
                word = inside[0]
                problems.append(
                    RubricProblem(
                        file,
                        f"{where}.{field}[{i}]",
                        "word_inside_phrase",
                        f"“{phrase}”含有 {other} 的“{word}”:句中只写了“{phrase}”时,“{word}”算作“{phrase}”的一部分,"
                        f"不算 {other} 自己的用词,这条规则不会成立。可改用不含“{word}”的说法,或另写一条规则。",
                    )
                )
    return problems


def rubric_advice(rubric: Rubric, file: str = "<rubric>") -> list[RubricProblem]:
    """Rules of ``rubric`` that cannot match as written (see the module's docstring), each with where it is."""
    problems = []
    for c, concept in enumerate(rubric.concepts):
        for kind, rules in (("rules", concept.rules), ("contradicts", concept.contradicts)):
            for r, rule in enumerate(rules):
                problems += _rule_advice(rubric, rule, f"concepts[{c}].{kind}[{r}]", file)
    return problems
