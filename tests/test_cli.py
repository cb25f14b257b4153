"""The `yuejuan` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import together, yuejuan
from service.registry import RubricRegistry

ROOT = Path(__file__).resolve().parent.parent


def _yuejuan(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("yuejuan", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "service.cli"]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_grade_from_stdin_prints_json() -> None:
    run = _yuejuan("grade", "--rubric", "internal-customer", "-", stdin="上级给下级安排任务,上级就是下级的客户。")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["rubric_id"] == "internal-customer" and result["score"] > 0


def test_grade_from_file(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text("", encoding="utf-8")
    run = _yuejuan("grade", "--rubric", "internal-customer", str(answer))
    assert run.returncode == 0 and json.loads(run.stdout)["flags"][0]["code"] == "empty"


def test_grade_unknown_rubric_fails_clearly() -> None:
    run = _yuejuan("grade", "--rubric", "nope", "-", stdin="x")
    assert run.returncode == 2 and "unknown_rubric" in run.stderr


def test_rubric_check_reports_ok_and_problems(tmp_path: Path) -> None:
    ok = _yuejuan("rubric", "check", "rubrics/internal-customer.yaml", "tests/data/rubrics/waste-sorting.yaml")
    assert ok.returncode == 0 and ok.stdout.count(": ok") == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: Bad Id\nversion: 1\n", encoding="utf-8")
    bad = _yuejuan("rubric", "check", str(broken))
    assert bad.returncode == 1
    assert f"{broken}: id:" in bad.stderr and f"{broken}: title:" in bad.stderr and f"{broken}: concepts:" in bad.stderr


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}"}
    created = yuejuan("keys", "create", "--role", "grader", "--name", "阅卷组", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    key_id = key.split("_")[1]
    # The key alone on stdout (scripts capture it); what the administrator reads, in Chinese, on stderr.
    assert key.startswith("yj_") and "\n" not in key
    assert created.stderr == (
        f"注意:{tmp_path / 'keys.db'} 原本没有数据库文件,已在此新建一个空数据库。\n"
        f"已创建 grader 密钥 {key_id}:请立即妥善保存,此后无法再次显示。\n"
    )
    listing = yuejuan("keys", "list", env=env)
    assert listing.returncode == 0 and key_id in listing.stdout and "阅卷组" in listing.stdout
    assert key not in listing.stdout
    header, row = listing.stdout.splitlines()
    assert header.split() == ["密钥编号", "角色", "创建时间(UTC)", "状态", "名称"]
    assert row.split()[0] == key_id and row.split()[-2:] == ["有效", "阅卷组"]
    revoked = yuejuan("keys", "revoke", key_id, env=env)
    assert revoked.returncode == 0 and revoked.stdout == f"已吊销 {key_id}\n"
    assert "已吊销" in yuejuan("keys", "list", env=env).stdout
    again = yuejuan("keys", "revoke", key_id, env=env)
    assert again.returncode == 1
    assert again.stderr == f"错误 [unknown_key]:没有编号为 {key_id!r} 的有效密钥。\n"
    bad_role = yuejuan("keys", "create", "--role", "root", env=env)
    assert bad_role.returncode == 2
    assert bad_role.stderr == (
        "错误 [invalid_argument]:参数 --role 的取值 'root' 无效,可选:'admin', 'grader', 'student'"
        "(用法见 yuejuan keys create --help)\n"
    )


def test_worker_without_a_broker_says_what_to_set() -> None:
    run = yuejuan("worker", env={"YUEJUAN_BROKER_URL": ""})
    assert run.returncode == 2 and "YUEJUAN_BROKER_URL" in run.stderr and "Traceback" not in run.stderr
    # Without its scheme Celery read a broker URL as the host name of a RabbitMQ, and retried it forever.
    for mistyped in ("redis//queue.internal:6379/0", "queue.internal:6379"):
        run = yuejuan("worker", env={"YUEJUAN_BROKER_URL": mistyped})
        assert "redis://" in _one_chinese_line(run, "invalid_setting")


ANSWER = "上级给下级安排任务,上级就是下级的客户;下道工序是上道工序的客户。"


def test_grade_reads_an_answer_saved_as_gbk_from_a_file_and_stdin(tmp_path: Path, registry: RubricRegistry) -> None:
    # Notepad and WPS in China save GBK; the CSV reader takes it, so must `yuejuan grade`. The score to
    # expect is grade()'s on the answer as typed, which a UTF-8 `grade -` prints (test_grade_from_stdin_prints_json).
    answer = tmp_path / "gbk.txt"
    answer.write_bytes(ANSWER.encode("gbk"))
    exe = shutil.which("yuejuan", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "service.cli"]

    def pipe_gbk() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*command, "grade", "--rubric", "internal-customer", "-"],
            input=ANSWER.encode("gbk"),
            capture_output=True,
            cwd=ROOT,
            timeout=120,
        )

    from_file, piped = together(lambda: _yuejuan("grade", "--rubric", "internal-customer", str(answer)), pipe_gbk)
    expected = registry.grade("internal-customer", ANSWER).score
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["score"] == expected
    assert piped.returncode == 0, piped.stderr.decode(errors="replace")
    assert json.loads(piped.stdout)["score"] == expected


def _one_chinese_line(run: subprocess.CompletedProcess[str], code: str) -> str:
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"错误 [{code}]:"), run.stderr
    return lines[0]


def test_mistakes_on_the_command_line_are_one_chinese_line(tmp_path: Path) -> None:
    sitting = tmp_path / "一班.csv"
    sitting.write_text(f"id,answer\nA1,{ANSWER}\n", encoding="utf-8")
    line = _one_chinese_line(
        _yuejuan("grade-file", str(sitting), "--rubric", "internal-customer", "--workers", "-2"), "invalid_argument"
    )
    assert "--workers" in line
    assert "--folds" in _one_chinese_line(
        _yuejuan("evaluate", "--rubric", "internal-customer", "--folds", "1"), "invalid_argument"
    )
    unscored = tmp_path / "sample.csv"
    unscored.write_text(f"id,answer\nA1,{ANSWER}\nA2,上级是客户。\n", encoding="utf-8")
    assert "score" in _one_chinese_line(
        _yuejuan("evaluate", "--rubric", "internal-customer", "--labeled", str(unscored)), "invalid_corpus"
    )
    bad_setting = yuejuan("keys", "list", env={"YUEJUAN_MAX_ANSWER_CHARS": "abc"})
    assert "YUEJUAN_MAX_ANSWER_CHARS" in _one_chinese_line(bad_setting, "invalid_setting")
    missing = tmp_path / "no-such-folder"
    run = _yuejuan("--rubrics-dir", str(missing), "grade", "--rubric", "internal-customer", "-", stdin=ANSWER)
    assert str(missing) in _one_chinese_line(run, "rubrics_dir_missing")
    assert "找不到" in _one_chinese_line(_yuejuan("grade", "--rubric", "internal-customer", "nope.txt"), "io")
    # A server without its rubrics used to start all the same, pass /healthz and call every rubric unknown.
    assert str(missing) in _one_chinese_line(_yuejuan("--rubrics-dir", str(missing), "serve"), "rubrics_dir_missing")
    # A log level logging does not know used to end the server's start in a traceback.
    level = yuejuan("serve", env={"YUEJUAN_LOG_LEVEL": "verbose"})
    assert "YUEJUAN_LOG_LEVEL" in _one_chinese_line(level, "invalid_setting")
    metrics = yuejuan("serve", env={"PROMETHEUS_MULTIPROC_DIR": str(missing)})
    assert "PROMETHEUS_MULTIPROC_DIR" in _one_chinese_line(metrics, "invalid_setting")


def test_serve_refuses_a_port_outside_1_to_65535(tmp_path: Path) -> None:
    # Port 99999 used to be taken modulo 65536: the log named one port and the server listened on another.
    env = {**os.environ, "YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}", "YUEJUAN_RUN_JOBS": "false"}
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1"]
    for args, extra, code, named in [
        (["--port", "99999"], {}, "invalid_argument", "--port"),
        (["--port", "0"], {}, "invalid_argument", "--port"),
        ([], {"YUEJUAN_PORT": "70000"}, "invalid_setting", "YUEJUAN_PORT"),
    ]:
        run = subprocess.run(
            [*command, *args], env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        assert named in _one_chinese_line(run, code)


def test_evaluate_and_calibrate_refuse_human_scores_that_are_no_score_of_the_rubric(tmp_path: Path) -> None:
    """A score of 'nan' or 'inf' used to end in a traceback; 12 or -1 on a 10-point rubric was taken as
    it was (and a calibration fitted on it). Either is a typing mistake in the marker's sheet: one
    Chinese line that names the row, and no calibration written."""
    rubrics = tmp_path / "rubrics"
    shutil.copytree(ROOT / "rubrics", rubrics)
    calibration = rubrics / "internal-customer.calibration.json"
    before = calibration.read_bytes()
    rows = [f'A{i},"{ANSWER}",{score}' for i, score in enumerate([6, 3.5, 8, 0, 10])]
    for bad in ("nan", "inf", "12", "-1"):
        labeled = tmp_path / f"marks-{bad}.csv"
        labeled.write_text("\n".join(["id,answer,score", *rows, f"B1,上级是客户。,{bad}"]) + "\n", encoding="utf-8")
        for command in ("evaluate", "calibrate"):
            args = ("--rubrics-dir", str(rubrics), command, "--rubric", "internal-customer", "--labeled", str(labeled))
            line = _one_chinese_line(_yuejuan(*args, "--folds", "2"), "invalid_corpus")
            assert f"{labeled}:7" in line, line
    assert calibration.read_bytes() == before


def test_file_system_errors_are_worded_alike_in_chinese_wherever_they_arise(tmp_path: Path) -> None:
    """One wording for each operating-system error: `grade` and `rubric check` given a folder say the
    same thing, and an output path through a plain file is named in Chinese, not as "(Not a directory)"."""
    graded = _one_chinese_line(_yuejuan("grade", "--rubric", "internal-customer", str(tmp_path)), "io")
    checked = _yuejuan("rubric", "check", str(tmp_path))
    assert checked.returncode == 1
    assert graded == f"错误 [io]:{tmp_path}:这是文件夹,不是文件。"
    assert checked.stderr == f"{tmp_path}: [unreadable] 这是文件夹,不是文件。\n"
    sitting = tmp_path / "一班.csv"
    sitting.write_text(f'id,answer\nA1,"{ANSWER}"\n', encoding="utf-8")
    through_a_file = [
        ("一班.csv/成绩.csv", "已存在同名的文件或文件夹。"),
        ("一班.csv/x/成绩.csv", "路径中有一段不是文件夹。"),
    ]
    for output, said in through_a_file:
        run = _yuejuan("grade-file", str(sitting), "--rubric", "internal-customer", "-o", str(tmp_path / output))
        line = _one_chinese_line(run, "io")
        assert line.endswith(said) and str(tmp_path / "一班.csv") in line, line


def test_a_mistyped_database_path_is_refused_and_a_new_database_file_is_announced(tmp_path: Path) -> None:
    """A SQLite path in a folder that does not exist used to be made, folders and all: the key went into
    a database no server reads. Now that is one Chinese line and nothing is made; a new file in an
    existing folder (a first start, or a mistyped file name) is made, and the administrator is told."""
    typo = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'yuejaun' / 'yuejuan.db'}"}
    line = _one_chinese_line(yuejuan("keys", "create", "--role", "grader", env=typo), "database_folder_missing")
    assert str(tmp_path / "yuejaun") in line and "YUEJUAN_DATABASE_URL" in line
    assert not (tmp_path / "yuejaun").exists()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = str(free.getsockname()[1])
    served = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", port],
        env={**os.environ, **typo},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert _one_chinese_line(served, "database_folder_missing") == line
    scheme = yuejuan("keys", "list", env={"YUEJUAN_DATABASE_URL": "postgres://yuejuan@db.internal/yuejuan"})
    assert "postgresql://" in _one_chinese_line(scheme, "invalid_setting")

    fresh = {"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'yuejuan.db'}"}
    first = yuejuan("keys", "list", env=fresh)
    assert first.returncode == 0
    assert first.stderr == f"注意:{tmp_path / 'yuejuan.db'} 原本没有数据库文件,已在此新建一个空数据库。\n"
    assert yuejuan("keys", "list", env=fresh).stderr == ""


def test_what_the_command_says_to_the_administrator_is_chinese(tmp_path: Path) -> None:
    """Help, argparse's own errors, the evaluation figures and the files written were English."""
    ascii_words = re.compile(r"\b(?:usage|options|arguments?|error|invalid|required|show|wrote|answers|human)\b")
    for args in (["--help"], ["grade-file", "--help"], ["keys", "create", "--help"], ["rubric", "check", "--help"]):
        shown = _yuejuan(*args)
        assert shown.returncode == 0 and "用法:yuejuan" in shown.stdout and "显示此帮助并退出" in shown.stdout
        assert not ascii_words.search(shown.stdout.lower()), shown.stdout
    for args, said in [
        (["gradee"], "没有命令 'gradee'"),
        (["grade"], "缺少必需的参数:--rubric"),
        (["serve", "--port", "abc"], "参数 --port 须为数字,收到 'abc'"),
        (["keys", "list", "--all"], "无法识别的参数:--all"),
    ]:
        assert said in _one_chinese_line(_yuejuan(*args), "invalid_argument")
    labeled = tmp_path / "marks.csv"
    rows = [f'A{i},"{ANSWER}",{score}' for i, score in enumerate([6, 3.5, 8, 0, 10, 7])]
    labeled.write_text("\n".join(["id,answer,score", *rows]) + "\n", encoding="utf-8")
    run = _yuejuan("evaluate", "--rubric", "internal-customer", "--labeled", str(labeled), "--report", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("评分标准 internal-customer:6 份作答,按现有配置评分\n")
    assert f"已写入 {tmp_path / 'evaluation.json'}" in run.stdout
    assert not ascii_words.search(run.stdout.lower()), run.stdout


def test_jobs_purge_deletes_a_finished_jobs_answers_from_the_database_file(tmp_path: Path) -> None:
    from service.jobs import InputRow, store
    from service.storage import Database

    path = tmp_path / "jobs.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    answer = "李雷在仓储部工作,他把入库单交给财务部,财务部就是他的内部客户。"
    rows = [InputRow(f"考生{i}", f"{answer}(第{i}份)", {}) for i in range(300)]

    def job() -> str:
        made, _ = store.create_job(
            db, rubric_id="internal-customer", rubric_version="v1", rows=rows, columns=[], source="json"
        )
        return made.id

    finished, running = job(), job()
    store.cancel_job(db, job_id=finished)
    db.dispose()
    env = {"YUEJUAN_DATABASE_URL": f"sqlite:///{path}"}
    run = yuejuan("jobs", "purge", finished, running, "0" * 32, env=env)
    assert run.returncode == 1
    assert run.stdout == f"已删除作业 {finished} 的数据:300 份作答及其结果。\n"
    assert run.stderr.splitlines() == [
        f"错误 [job_active]:作业仍在进行(状态 queued),不能删除其数据:请先取消作业(DELETE /v1/jobs/{running})。",
        f"错误 [unknown_job]:没有编号为 {'0' * 32!r} 的阅卷作业。",
    ]
    # Not in the tables, and not in the file either: SQLite would otherwise keep deleted rows' bytes.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ids = {job_id for (job_id,) in connection.execute("SELECT DISTINCT job_id FROM submissions")}
    assert ids == {running}
    stored = path.read_bytes()
    assert stored.count(answer.encode()) == 300  # the other job's
    again = yuejuan("jobs", "purge", finished, env=env)
    assert again.returncode == 1 and again.stderr.startswith("错误 [job_purged]:阅卷作业")
    missing = yuejuan("jobs", "purge", finished, env={"YUEJUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'jobz.db'}"})
    assert missing.returncode == 2 and missing.stderr.startswith("错误 [database_missing]:没有数据库文件")
