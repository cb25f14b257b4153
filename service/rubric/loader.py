"""Load rubric files and report every problem in them at once.

Problems come from two passes: the pydantic schema (types, required fields, ranges) and
the cross-field checks pydantic cannot express (unknown ``@group`` references, duplicate
concept ids, points that do not add up to the maximum, hints that give the answer away).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import RubricError, RubricProblem
from .schema import Rubric

__all__ = ["load_rubric", "load_rubric_dir", "parse_rubric"]


# libyaml's parser when PyYAML was built with it (ten times faster on a large rubric), same safe constructor.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problems(file: str, error: ValidationError) -> list[RubricProblem]:
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        problems.append(RubricProblem(file, _path(item["loc"]), item["type"], message))
    return problems


def _check_references(file: str, rubric: Rubric) -> list[RubricProblem]:
    problems = []
    groups = set(rubric.lexicon)

    def check(path: str, elements: list[str]) -> None:
        for i, element in enumerate(elements):
            if element.startswith("@") and element[1:] not in groups:
                problems.append(
                    RubricProblem(file, f"{path}[{i}]", "unknown_group", f"no lexicon group {element[1:]!r}")
                )

    for c, concept in enumerate(rubric.concepts):
        for kind in ("rules", "contradicts"):
            for r, rule in enumerate(getattr(concept, kind)):
                for field in ("all", "any", "none", "about"):
                    check(f"concepts[{c}].{kind}[{r}].{field}", getattr(rule, field))
    for i, name in enumerate(rubric.story_topics):
        if name not in rubric.off_topic:
            problems.append(RubricProblem(file, f"story_topics[{i}]", "unknown_group", f"no off_topic group {name!r}"))
    return problems


def _literals(rubric: Rubric, elements: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for element in elements:
        out.update(rubric.lexicon.get(element[1:], []) if element.startswith("@") else [element])
    return out


def _check_concepts(file: str, rubric: Rubric) -> list[RubricProblem]:
    problems = []
    seen: dict[str, int] = {}
    for c, concept in enumerate(rubric.concepts):
        if concept.id in seen:
            problems.append(
                RubricProblem(
                    file,
                    f"concepts[{c}].id",
                    "duplicate_id",
                    f"{concept.id!r} already used by concepts[{seen[concept.id]}]",
                )
            )
        seen.setdefault(concept.id, c)
        # A hint points at what is missing; it must not contain the phrases that earn it.
        giveaways = set(concept.key_phrases)
        for rule in concept.rules:
            if rule.level == "named":
                giveaways |= {t for t in _literals(rubric, rule.all + rule.any) if len(t) >= 3}
        leaked = sorted(t for t in giveaways if t in concept.hint)
        if leaked:
            problems.append(
                RubricProblem(
                    file, f"concepts[{c}].hint", "hint_gives_answer", f"the hint contains {', '.join(leaked)}"
                )
            )
    for c, concept in enumerate(rubric.concepts):
        for name, others in (("excluded_by", concept.excluded_by), ("capped_by", concept.capped_by)):
            for i, other in enumerate(others):
                if other not in seen or other == concept.id:
                    problems.append(
                        RubricProblem(
                            file, f"concepts[{c}].{name}[{i}]", "unknown_concept", f"no other concept {other!r}"
                        )
                    )
    total = sum(concept.points for concept in rubric.concepts)
    if abs(total - rubric.max_score) > 1e-9:
        problems.append(
            RubricProblem(
                file,
                "concepts",
                "points_mismatch",
                f"concept points add up to {total:g}, max_score is {rubric.max_score:g}",
            )
        )
    return problems


def parse_rubric(data: Any, *, file: str = "<rubric>") -> Rubric:
    """Validate already-parsed rubric data; raise :class:`RubricError` with every problem."""
    if not isinstance(data, dict):
        raise RubricError([RubricProblem(file, "", "not_a_mapping", "a rubric file must be a YAML mapping")])
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        raise RubricError(_schema_problems(file, error)) from None
    problems = _check_references(file, rubric) + _check_concepts(file, rubric)
    if problems:
        raise RubricError(problems)
    return rubric


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate one rubric YAML file."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError([RubricProblem(file, "", "unreadable", str(error))]) from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RubricError([RubricProblem(file, where, "yaml_syntax", str(error).splitlines()[0])]) from None
    return parse_rubric(data, file=file)


def load_rubric_dir(directory: str | Path) -> dict[Path, Rubric]:
    """Load every ``*.yaml`` rubric in a directory, reporting the problems of all files together."""
    rubrics: dict[Path, Rubric] = {}
    problems: list[RubricProblem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            rubrics[path] = load_rubric(path)
        except RubricError as error:
            problems.extend(error.problems)
    ids = [r.id for r in rubrics.values()]
    for rubric_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(RubricProblem(str(directory), rubric_id, "duplicate_rubric", f"two files define {rubric_id!r}"))
    if problems:
        raise RubricError(problems)
    return rubrics
