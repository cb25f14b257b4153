"""The exceptions Yuejuan raises, one tree with a single root.

    YuejuanError
    ├── RubricError            a rubric file is broken (carries every problem found)
    ├── UnknownRubricError     no rubric with that id is loaded
    ├── AnswerTooLongError     an answer exceeds the configured limit
    ├── AccessError            missing or bad key, wrong role, rate limit (service.auth.errors)
    └── UnknownKeyError        no active API key with that id (service.auth.errors)

Each class has a stable ``code`` that the HTTP API and the CLI show as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerTooLongError",
    "RubricError",
    "RubricProblem",
    "UnknownRubricError",
    "YuejuanError",
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
