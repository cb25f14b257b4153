"""The exceptions Yuejuan raises, one tree with a single root.

    YuejuanError
    ├── RubricError            a rubric file is broken (carries every problem found)
    ├── UnknownRubricError     no rubric with that id is loaded
    ├── AnswerTooLongError     an answer exceeds the configured limit
    ├── CommandLineError       an option, setting or input of the `yuejuan` command cannot be used
    ├── ConfigurationError     a setting names something that cannot be used (a database folder that is missing)
    ├── AccessError            missing or bad key, wrong role, rate limit (service.auth.errors)
    ├── UnknownKeyError        no active API key with that id (service.auth.errors)
    └── JobError               batch jobs
        ├── InvalidJobInputError       an uploaded file or submission list cannot be used (every problem)
        ├── TooManySubmissionsError    more submissions than one job accepts
        ├── UnknownJobError            no job with that id
        ├── JobPurgedError             the job's data was deleted (its row remains, empty)
        ├── JobStateError              the job is not in a state that allows this
        ├── IdempotencyConflictError   an Idempotency-Key reused for a different request
        └── CallbackNotAllowedError    a callback URL outside the allow-list

Each class has a stable ``code`` that the HTTP API and the CLI show as they are.
:func:`os_error_message` words the operating system's errors (a file not found, no permission)
for whoever reads them, the same way wherever they are reported.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "AnswerTooLongError",
    "CallbackNotAllowedError",
    "CommandLineError",
    "ConfigurationError",
    "IdempotencyConflictError",
    "InvalidJobInputError",
    "JobError",
    "JobPurgedError",
    "JobStateError",
    "RubricError",
    "RubricProblem",
    "TooManySubmissionsError",
    "UnknownJobError",
    "UnknownRubricError",
    "YuejuanError",
    "os_error_message",
]


class YuejuanError(Exception):
    """Root of every error Yuejuan raises on purpose."""

    code = "yuejuan_error"


@dataclass(frozen=True, slots=True)
class RubricProblem:
    """One problem in a rubric file: where it is and what is wrong."""

    file: str
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: [{self.code}] {self.message}"


class RubricError(YuejuanError):
    """A rubric file failed validation; ``problems`` lists everything found, not just the first."""

    code = "invalid_rubric"

    def __init__(self, problems: list[RubricProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownRubricError(YuejuanError):
    """No rubric with the requested id."""

    code = "unknown_rubric"

    def __init__(self, rubric_id: str) -> None:
        self.rubric_id = rubric_id
        super().__init__(f"没有编号为 {rubric_id!r} 的评分标准。")


class AnswerTooLongError(YuejuanError):
    """The answer is longer than the service accepts."""

    code = "answer_too_long"

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"作答长度 {length} 字符,超过上限 {limit} 字符。")


class CommandLineError(YuejuanError):
    """An option, a setting or an input of the ``yuejuan`` command cannot be used; ``code`` says which
    kind (``invalid_argument``, ``invalid_setting``, ``rubrics_dir_missing``, ``invalid_encoding``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class ConfigurationError(YuejuanError):
    """A setting is well formed but names something that cannot be used (``database_folder_missing``):
    found when the service opens it, before it serves."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class JobError(YuejuanError):
    """Root of the batch-job errors."""

    code = "job_error"


class InvalidJobInputError(JobError):
    """The submissions of a job cannot be used; ``problems`` lists every one found (capped)."""

    code = "invalid_job_input"

    def __init__(self, problems: list[str], code: str | None = None) -> None:
        self.problems = problems
        if code:
            self.code = code
        shown = problems[:20]
        more = f"(另有 {len(problems) - len(shown)} 处问题未列出)" if len(problems) > len(shown) else ""
        super().__init__(";".join(shown) + more)


class TooManySubmissionsError(JobError):
    """More submissions than one job accepts."""

    code = "too_many_submissions"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"共 {count} 份作答,超过单个作业上限 {limit} 份,请拆分为多个作业。")


class UnknownJobError(JobError):
    """No job with the requested id."""

    code = "unknown_job"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"没有编号为 {job_id!r} 的阅卷作业。")


class JobPurgedError(JobError):
    """The job's submissions, answers and results were deleted (on request or by the retention setting)."""

    code = "job_purged"

    def __init__(self, job_id: str, purged_at: datetime) -> None:
        self.purged_at = purged_at
        when = purged_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        super().__init__(f"阅卷作业 {job_id!r} 的作答与结果已于 {when}(UTC)删除,无法再查看或导出。")


class JobStateError(JobError):
    """The job's status does not allow the request (cancel a finished job, export an unfinished one)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class IdempotencyConflictError(JobError):
    """The Idempotency-Key was already used for a request with other content."""

    code = "idempotency_conflict"

    def __init__(self, key: str) -> None:
        super().__init__(f"幂等键 {key!r} 已用于内容不同的另一个请求。")


class CallbackNotAllowedError(JobError):
    """The callback URL is not on the configured allow-list, or no signing secret is set."""

    code = "callback_not_allowed"


def os_error_message(error: OSError) -> str:
    """What went wrong with a file or folder, in Chinese, without its path: the caller says which one
    (the CLI puts ``error.filename`` in front, a rubric problem names its file already)."""
    if isinstance(error, FileNotFoundError):
        return "找不到此文件或文件夹。"
    if isinstance(error, IsADirectoryError):
        return "这是文件夹,不是文件。"
    if isinstance(error, NotADirectoryError):
        return "路径中有一段不是文件夹。"
    if isinstance(error, PermissionError):
        return "没有权限访问。"
    if isinstance(error, FileExistsError):
        return "已存在同名的文件或文件夹。"
    if error.errno == errno.ENOSPC:
        return "磁盘空间不足。"
    if error.errno == errno.EROFS:
        return "所在文件系统为只读。"
    # The system's own words (English) are kept in brackets for whoever looks the error up.
    return f"读写失败({error.strerror or error})。"
