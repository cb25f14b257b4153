from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.errors import RubricError
from service.rubric import load_rubric, load_rubric_dir

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, data: object, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _valid() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((ROOT / "tests/data/rubrics/waste-sorting.yaml").read_text("utf-8"))
    return data


def test_the_shipped_rubrics_are_valid() -> None:
    rubric = load_rubric(ROOT / "rubrics/internal-customer.yaml")
    assert rubric.id == "internal-customer"
    assert sum(c.points for c in rubric.concepts) == rubric.max_score
    assert {c.id for c in rubric.concepts} >= {"definition", "rank", "function", "process", "reciprocity"}


def test_every_problem_is_reported_at_once_with_file_and_path(tmp_path: Path) -> None:
    data = _valid()
    concepts = data["concepts"]
    assert isinstance(concepts, list)
    concepts[0]["points"] = -1
    concepts[1]["rules"][0]["all"] = ["@no_such_group"]
    del concepts[2]["hint"]
    data["max_score"] = "ten"
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    problems = {(p.path, p.code) for p in caught.value.problems}
    assert ("concepts[0].points", "greater_than") in problems
    assert ("concepts[2].hint", "missing") in problems
    assert ("max_score", "float_parsing") in problems
    assert all(p.file == str(path) for p in caught.value.problems)


def test_cross_field_problems_are_reported_together(tmp_path: Path) -> None:
    data = _valid()
    concepts = data["concepts"]
    assert isinstance(concepts, list)
    concepts[1]["rules"][0]["all"] = ["@no_such_group"]
    concepts[2]["id"] = concepts[0]["id"]
    concepts[0]["hint"] = "想想可回收物有哪些?"
    concepts[0]["capped_by"] = ["no_such_concept"]
    concepts[0]["rules"][0]["about"] = ["@no_such_subject"]
    data["story_topics"] = ["no_such_story"]
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    found = {(p.path, p.code) for p in caught.value.problems}
    assert found == {
        ("concepts[1].rules[0].all[0]", "unknown_group"),
        ("concepts[2].id", "duplicate_id"),
        ("concepts[0].hint", "hint_gives_answer"),
        ("concepts[0].capped_by[0]", "unknown_concept"),
        ("concepts[0].rules[0].about[0]", "unknown_group"),
        ("story_topics[0]", "unknown_group"),
    }


def test_a_phrase_may_hold_one_gap_between_two_parts(tmp_path: Path) -> None:
    data = _valid()
    lexicon = data["lexicon"]
    assert isinstance(lexicon, dict)
    name = sorted(lexicon)[0]
    lexicon[name] = [*lexicon[name], "我们…车间"]
    assert load_rubric(_write(tmp_path, data, "good.yaml")).lexicon[name][-1] == "我们…车间"
    lexicon[name] = ["…车间", "我们…", "我们…冲压…车间", "好"]
    concepts = data["concepts"]
    assert isinstance(concepts, list)
    concepts[0]["rules"][0]["any"] = ["@x…车间"]
    with pytest.raises(RubricError) as caught:
        load_rubric(_write(tmp_path, data))
    found = {(p.path, p.code) for p in caught.value.problems}
    assert {(f"lexicon.{name}[{i}]", "value_error") for i in range(3)} | {
        ("concepts[0].rules[0].any[0]", "value_error")
    } <= found
    assert (f"lexicon.{name}[3]", "value_error") not in found
    assert all("…" in p.message for p in caught.value.problems if p.code == "value_error")


def test_overrides_belongs_to_contradicts_rules_only(tmp_path: Path) -> None:
    data = _valid()
    concepts = data["concepts"]
    assert isinstance(concepts, list)
    concepts[0]["contradicts"] = [{"any": ["从来不用分类"], "overrides": True}]
    assert load_rubric(_write(tmp_path, data, "good.yaml")).concepts[0].contradicts[0].overrides
    concepts[0]["rules"][0]["overrides"] = True
    with pytest.raises(RubricError) as caught:
        load_rubric(_write(tmp_path, data))
    assert any("overrides" in p.message and p.path.startswith("concepts[0]") for p in caught.value.problems)


def test_a_rule_may_ask_for_concrete_words(tmp_path: Path) -> None:
    data = _valid()
    concepts = data["concepts"]
    assert isinstance(concepts, list)
    concepts[0]["rules"][0]["concrete"] = 3
    assert load_rubric(_write(tmp_path, data, "good.yaml")).concepts[0].rules[0].concrete == 3
    concepts[0]["rules"][0]["concrete"] = -1
    with pytest.raises(RubricError) as caught:
        load_rubric(_write(tmp_path, data))
    assert ("concepts[0].rules[0].concrete", "greater_than_equal") in {(p.path, p.code) for p in caught.value.problems}


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nconcepts: [\n", encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.problems[0].code == "yaml_syntax"
    assert caught.value.problems[0].path == "第 3 行第 1 列"  # as an editor numbers lines and columns


def test_a_directory_reports_problems_of_all_files(tmp_path: Path) -> None:
    first = _valid()
    first["version"] = ""
    _write(tmp_path, first, "a.yaml")
    second = _valid()
    second["references"] = []
    _write(tmp_path, second, "b.yaml")
    with pytest.raises(RubricError) as caught:
        load_rubric_dir(tmp_path)
    assert {Path(p.file).name for p in caught.value.problems} == {"a.yaml", "b.yaml"}
