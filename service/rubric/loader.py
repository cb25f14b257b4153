"""Load rubric files and report every problem in them at once.

Problems come from two passes: the pydantic schema (types, required fields, ranges) and
the cross-field checks pydantic cannot express (unknown ``@group`` references, duplicate
concept ids, points that do not add up to the maximum, hints that give the answer away).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import RubricError, RubricProblem, os_error_message
from ..validation import chinese_message
from .schema import Concept, ExpectedLength, Rubric, RubricSettings, Rule

__all__ = ["load_rubric", "load_rubric_dir", "parse_rubric"]


# A rubric is some tens of kilobytes; one of megabytes is a corpus pasted in by mistake, and would take
# the service minutes and gigabytes to compile at every start.
MAX_RUBRIC_BYTES = 2 * 2**20

# libyaml's parser when PyYAML was built with it (ten times faster on a large rubric), same safe constructor.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SAFE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, noting each key written twice in one mapping: YAML would keep the last silently."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Any, yaml.Mark]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            # A merge (<<: *anchor) may be overridden on purpose; only keys written out count.
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = self.construct_object(key_node)
                if key in seen:
                    self.duplicates.append((key, key_node.start_mark))
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# The model a misspelt key was written in, by the key that holds it: what the author meant is among its fields.
_MODELS: dict[str, type[BaseModel]] = {
    "settings": RubricSettings,
    "expected_length": ExpectedLength,
    "concepts": Concept,
    "rules": Rule,
    "contradicts": Rule,
}


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """The message for a key the schema does not know, naming the field it is closest to."""
    holder = next((part for part in reversed(loc[:-1]) if isinstance(part, str)), None)
    model = _MODELS.get(holder, Rubric) if holder else Rubric
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    return f"没有这一项{f',是否想写 {close[0]}' if close else ''}?"


def _schema_problems(file: str, error: ValidationError) -> list[RubricProblem]:
    problems = []
    for item in error.errors():
        message = _unknown_key(item["loc"]) if item["type"] == "extra_forbidden" else chinese_message(item)
        problems.append(RubricProblem(file, _path(item["loc"]), item["type"], message))
    return problems


def _items(value: Any) -> list[Any]:
    """A list of the raw file as it is; anything else (a typo the schema reports) as nothing."""
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _rules(concept: dict[Any, Any], kind: str) -> list[dict[Any, Any]]:
    return [_mapping(rule) for rule in _items(concept.get(kind))]


def _check_references(file: str, data: dict[Any, Any]) -> list[RubricProblem]:
    problems = []
    groups = set(_mapping(data.get("lexicon")))

    def check(path: str, elements: list[Any]) -> None:
        for i, element in enumerate(elements):
            if isinstance(element, str) and element.startswith("@") and element[1:] not in groups:
                problems.append(
                    RubricProblem(file, f"{path}[{i}]", "unknown_group", f"lexicon 中没有词组 {element[1:]!r}")
                )

    for c, concept in enumerate(_items(data.get("concepts"))):
        for kind in ("rules", "contradicts"):
            for r, rule in enumerate(_rules(_mapping(concept), kind)):
                for field in ("all", "any", "none", "about"):
                    check(f"concepts[{c}].{kind}[{r}].{field}", _items(rule.get(field)))
    off_topic = _mapping(data.get("off_topic"))
    for i, name in enumerate(_items(data.get("story_topics"))):
        if isinstance(name, str) and name not in off_topic:
            problems.append(
                RubricProblem(file, f"story_topics[{i}]", "unknown_group", f"off_topic 中没有词组 {name!r}")
            )
    return problems


def _literals(lexicon: dict[Any, Any], elements: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for element in elements:
        if not isinstance(element, str):
            continue
        members = _items(lexicon.get(element[1:])) if element.startswith("@") else [element]
        out.update(m for m in members if isinstance(m, str))
    return out


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _check_concepts(file: str, data: dict[Any, Any]) -> list[RubricProblem]:
    problems = []
    lexicon = _mapping(data.get("lexicon"))
    concepts = [_mapping(concept) for concept in _items(data.get("concepts"))]
    seen: dict[str, int] = {}
    for c, concept in enumerate(concepts):
        concept_id = concept.get("id")
        if not isinstance(concept_id, str):
            continue
        if concept_id in seen:
            problems.append(
                RubricProblem(
                    file,
                    f"concepts[{c}].id",
                    "duplicate_id",
                    f"要点编号 {concept_id!r} 已由 concepts[{seen[concept_id]}] 使用",
                )
            )
        seen.setdefault(concept_id, c)
    for c, concept in enumerate(concepts):
        # A hint points at what is missing; it must not contain the phrases that earn it.
        hint = concept.get("hint")
        if isinstance(hint, str):
            giveaways = {t for t in _items(concept.get("key_phrases")) if isinstance(t, str) and t}
            for rule in _rules(concept, "rules"):
                if rule.get("level") == "named":
                    elements = _items(rule.get("all")) + _items(rule.get("any"))
                    giveaways |= {t for t in _literals(lexicon, elements) if len(t) >= 3}
            leaked = sorted(t for t in giveaways if t in hint)
            if leaked:
                problems.append(
                    RubricProblem(
                        file,
                        f"concepts[{c}].hint",
                        "hint_gives_answer",
                        f"提示泄露了得分要点的关键词:{'、'.join(leaked)}",
                    )
                )
        for name in ("excluded_by", "capped_by"):
            for i, other in enumerate(_items(concept.get(name))):
                if isinstance(other, str) and (other not in seen or other == concept.get("id")):
                    problems.append(
                        RubricProblem(
                            file, f"concepts[{c}].{name}[{i}]", "unknown_concept", f"没有编号为 {other!r} 的其他要点"
                        )
                    )
    points = [_number(concept.get("points")) for concept in concepts]
    max_score = _number(data.get("max_score"))
    if concepts and max_score is not None and None not in points:
        total = sum(p for p in points if p is not None)
        if abs(total - max_score) > 1e-9:
            problems.append(
                RubricProblem(
                    file,
                    "concepts",
                    "points_mismatch",
                    f"各要点分值合计 {total:g},与 max_score {max_score:g} 不符",
                )
            )
    return problems


def parse_rubric(data: Any, *, file: str = "<rubric>") -> Rubric:
    """Validate already-parsed rubric data; raise :class:`RubricError` with every problem."""
    if not isinstance(data, dict):
        raise RubricError([RubricProblem(file, "", "not_a_mapping", "评分标准文件须为 YAML 映射(每行“键: 值”)")])
    # The cross-field checks read the file as written, so that they run even where the schema
    # rejects something else: every problem is reported at once, not one batch after another.
    problems = _check_references(file, data) + _check_concepts(file, data)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        raise RubricError(_schema_problems(file, error) + problems) from None
    if problems:
        raise RubricError(problems)
    return rubric


# What the parser's words usually mean in a rubric, for authors who never wrote YAML before.
_YAML_MEANINGS = (
    ("tab", "不能用制表符(Tab)缩进,请改用空格。"),
    ("mapping values are not allowed", "此处不能写“键: 值”:多半是缩进不对,或值里有“冒号加空格”(请给整个值加引号)。"),
    ("expected", "缩进不一致:同一层的各项须左端对齐,下一层须比上一层多缩进。"),
    ("indentation", "缩进不一致:同一层的各项须左端对齐,下一层须比上一层多缩进。"),
)


def _yaml_message(error: yaml.YAMLError) -> str:
    """What is wrong, in Chinese, with the parser's own words (its context and problem) after it."""
    context, problem = getattr(error, "context", None), getattr(error, "problem", None)
    said = "; ".join(str(part) for part in (context, problem) if part) or str(error).splitlines()[0]
    meaning = next((m for key, m in _YAML_MEANINGS if key in (problem or "")), "YAML 语法有误。")
    return f"{meaning}(解析器:{said})"


def _encoding_message(data: bytes, error: UnicodeDecodeError) -> str:
    """A file saved in another encoding (Windows editors in China save GBK): say so, and what to do."""
    line = data[: error.start].count(b"\n") + 1
    try:
        data.decode("gb18030")
        guess = ",看来是 GBK/GB18030 编码"
    except UnicodeDecodeError:
        guess = ""
    return f"文件不是 UTF-8 编码(第 {line} 行起无法按 UTF-8 读取{guess}):请在编辑器中另存为 UTF-8。"


def _at(mark: yaml.Mark) -> str:
    """Where in the file, as an editor numbers it (the parser counts from 0)."""
    return f"第 {mark.line + 1} 行第 {mark.column + 1} 列"


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate one rubric YAML file."""
    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_RUBRIC_BYTES:
            message = (
                f"文件有 {size / 2**20:.1f} MiB,超过评分标准的上限 {MAX_RUBRIC_BYTES // 2**20} MiB:"
                "参考答案只需几篇,作答语料请放在 corpus/ 中。"
            )
            raise RubricError([RubricProblem(file, "", "too_large", message)])
        data = path.read_bytes()
    except OSError as error:
        raise RubricError([RubricProblem(file, "", "unreadable", os_error_message(error))]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RubricError([RubricProblem(file, "", "unreadable", _encoding_message(data, error))]) from None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _at(mark) if mark else ""
        raise RubricError([RubricProblem(file, where, "yaml_syntax", _yaml_message(error))]) from None
    finally:
        loader.dispose()
    duplicates = [
        RubricProblem(
            file,
            _at(mark),
            "duplicate_key",
            f"键 {key!r} 在同一层写了两次,前一处的内容会被这一处覆盖:请合并为一处。",
        )
        for key, mark in loader.duplicates
    ]
    try:
        rubric = parse_rubric(data, file=file)
    except RubricError as error:
        raise RubricError(duplicates + error.problems) from None
    if duplicates:
        raise RubricError(duplicates)
    return rubric


def load_rubric_dir(directory: str | Path) -> dict[Path, Rubric]:
    """Load every ``*.yaml`` (or ``*.yml``) rubric in a directory, reporting the problems of all files together."""
    rubrics: dict[Path, Rubric] = {}
    problems: list[RubricProblem] = []
    for path in sorted([*Path(directory).glob("*.yaml"), *Path(directory).glob("*.yml")]):
        try:
            rubrics[path] = load_rubric(path)
        except RubricError as error:
            problems.extend(error.problems)
    ids = [r.id for r in rubrics.values()]
    for rubric_id in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(
            RubricProblem(str(directory), rubric_id, "duplicate_rubric", f"有两个文件定义了同一编号 {rubric_id!r}")
        )
    if problems:
        raise RubricError(problems)
    return rubrics
