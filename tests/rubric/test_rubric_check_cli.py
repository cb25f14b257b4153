"""`yuejuan rubric check` as a rubric author runs it on a new question: every mistake at once, in clear words."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests/data/rubrics/waste-sorting.yaml"


def _yuejuan(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("yuejuan", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "service.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def _edited(*edits: tuple[str, str]) -> str:
    text = GOOD.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_schema_and_cross_field_mistakes_are_reported_in_one_run(tmp_path: Path) -> None:
    """A typo in a setting or an empty group used to hide the duplicate id, the unknown group and the
    points that do not add up: the author fixed one batch only to be shown the next."""
    path = tmp_path / "many.yaml"
    path.write_text(
        _edited(
            ("  - id: purpose\n", "  - id: categories\n"),  # duplicate concept id
            ('all: ["@purpose"]', 'all: ["@xyz"]'),  # unknown group
            ("    points: 2\n    hint: 你自己", "    points: 3\n    hint: 你自己"),  # 7 points, max 6
            ("  me: [", "  empty: []\n  me: ["),  # empty synonym group
            ('      - level: named\n        any: ["@kinds"]\n', "      - level: named\n"),  # no all, no any
            ("references:\n", "references:\n  - 垃圾分类\n"),  # too short
        )
        + "settings:\n  partial_credits: 0.5\n",  # typo in a setting name
        encoding="utf-8",
    )
    run = _yuejuan("rubric", "check", str(path))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    for where, code in [
        ("concepts[1].id", "duplicate_id"),
        ("concepts[1].rules[0].all[0]", "unknown_group"),
        ("concepts", "points_mismatch"),
        ("lexicon.empty", "too_short"),
        ("concepts[0].rules[0]", "value_error"),
        ("references[0]", "string_too_short"),
        ("settings.partial_credits", "extra_forbidden"),
    ]:
        assert f"{path}: {where}: [{code}]" in run.stderr, (where, run.stderr)


def test_problems_are_worded_in_chinese_and_a_misspelt_name_points_at_the_right_one(tmp_path: Path) -> None:
    """The messages were pydantic's English ("Extra inputs are not permitted") and ours ("no lexicon
    group 'xyz'"), for authors who read Chinese; a misspelt setting did not say which was meant."""
    path = tmp_path / "words.yaml"
    path.write_text(
        _edited(('all: ["@purpose"]', 'all: ["@xyz"]'), ("references:\n", "references:\n  - 垃圾分类\n"))
        + "settings:\n  partial_credits: 0.5\n",
        encoding="utf-8",
    )
    run = _yuejuan("rubric", "check", str(path))
    lines = dict(line.split(": [", 1) for line in run.stderr.splitlines())
    assert "partial_credit" in lines[f"{path}: settings.partial_credits"].split("]", 1)[1]
    assert "xyz" in lines[f"{path}: concepts[1].rules[0].all[0]"]
    for message in lines.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert "Extra inputs" not in run.stderr and "String should" not in run.stderr


def test_yaml_syntax_errors_say_what_is_wrong_not_only_where(tmp_path: Path) -> None:
    """Only the first line of the parser's message was shown ("while scanning a plain scalar"): the
    part saying what was wrong (a tab, a bad indent) was cut off."""
    tabs = tmp_path / "tabs.yaml"
    tabs.write_text(_edited(("    points: 2\n    hint: 生活垃圾", "\tpoints: 2\n    hint: 生活垃圾")), encoding="utf-8")
    run = _yuejuan("rubric", "check", str(tabs))
    assert run.returncode == 1 and "[yaml_syntax]" in run.stderr
    assert "第 16 行" in run.stderr and "制表符" in run.stderr, run.stderr
    indent = tmp_path / "indent.yaml"
    indent.write_text(_edited(("    hint: 分类之后", "   hint: 分类之后")), encoding="utf-8")
    run = _yuejuan("rubric", "check", str(indent))
    assert run.returncode == 1 and "[yaml_syntax]" in run.stderr
    assert "缩进" in run.stderr, run.stderr


def test_a_key_written_twice_is_reported_not_silently_overwritten(tmp_path: Path) -> None:
    """A second `me:` in the lexicon replaced the first without a word: half the synonyms were gone."""
    path = tmp_path / "dup.yaml"
    path.write_text(_edited(("  me: [", "  me: [我家]\n  me: [")), encoding="utf-8")
    run = _yuejuan("rubric", "check", str(path))
    assert run.returncode == 1, run.stdout
    assert f"{path}: 第 13 行第 3 列: [duplicate_key]" in run.stderr and "'me'" in run.stderr, run.stderr


def test_a_gbk_file_is_refused_in_words_the_author_can_act_on(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GOOD.read_text(encoding="utf-8").encode("gbk"))
    run = _yuejuan("rubric", "check", str(path))
    assert run.returncode == 1 and "[unreadable]" in run.stderr
    assert "UTF-8" in run.stderr and "codec" not in run.stderr, run.stderr


def test_two_files_of_one_folder_with_the_same_id_are_reported(tmp_path: Path) -> None:
    """`rubric check rubrics/*.yaml` said ok to both, then `serve` refused to start."""
    shutil.copy(GOOD, tmp_path / "a.yaml")
    shutil.copy(GOOD, tmp_path / "b.yaml")
    run = _yuejuan("rubric", "check", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))
    assert run.returncode == 1 and "[duplicate_rubric]" in run.stderr, (run.stdout, run.stderr)
    serve_view = _yuejuan("--rubrics-dir", str(tmp_path), "grade", "--rubric", "waste-sorting", "-", stdin="x")
    assert serve_view.returncode == 2 and "duplicate_rubric" in serve_view.stderr


def test_a_rubric_saved_as_yml_is_served(tmp_path: Path) -> None:
    """`rubric check x.yml` said ok, and the service then knew no such rubric."""
    shutil.copy(GOOD, tmp_path / "waste-sorting.yml")
    assert _yuejuan("rubric", "check", str(tmp_path / "waste-sorting.yml")).returncode == 0
    run = _yuejuan(
        "--rubrics-dir", str(tmp_path), "grade", "--rubric", "waste-sorting", "-", stdin="我家每天把垃圾分类投放。"
    )
    assert run.returncode == 0, run.stderr


def test_a_huge_rubric_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """A 30 MB file (a corpus pasted into `references`) passed the check; the service then took minutes
    and gigabytes to start."""
    path = tmp_path / "huge.yaml"
    reference = "  - 生活垃圾一般分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类,分类可以减少污染。\n"
    path.write_text(_edited(("references:\n", "references:\n" + reference * 40_000)), encoding="utf-8")
    run = _yuejuan("rubric", "check", str(path))
    assert run.returncode == 1 and "[too_large]" in run.stderr, run.stderr


def test_a_phrase_holding_another_elements_word_is_pointed_out_without_failing_the_check(tmp_path: Path) -> None:
    """A phrase listed in a rule that holds a word of one of the rule's required groups ("我会分类" beside
    @me, which holds 我会) can never supply both: the word inside the phrase is not the group's own word.
    Rubric 2026.11.27.12 found one such rule by hand ("再交给" beside @handoff); the check now says so."""
    path = tmp_path / "advice.yaml"
    path.write_text(_edited(("any: [分类, 分开, 投放, 扔]", "any: [分类, 分开, 投放, 扔, 我会分类]")), encoding="utf-8")
    run = _yuejuan("rubric", "check", str(path), str(ROOT / "rubrics/internal-customer.yaml"))
    assert run.returncode == 0, run.stderr
    advice = [line for line in run.stdout.splitlines() if line.startswith("提示 ")]
    assert len(advice) == 1, run.stdout  # the shipped rubric has none
    assert f"{path}: concepts[2].rules[0].any[4]: [word_inside_phrase]" in advice[0]
    assert "“我会分类”含有 @me 的“我会”" in advice[0]
