"""Merge the two independent markings of the corpus into the labeled file.

Reads corpus/<rubric>/raw/writer-*.jsonl (answers with the first marker's marks) and
raw/marker2-*.jsonl (the second marker's marks, made blind), plus raw/adjudication.jsonl
when present (resolved marks for disagreements over 2 points). Writes
corpus/<rubric>/answers.jsonl: the final score is the mean of the two markers (or the
adjudicated score), per-concept points likewise. Answers by the writers in HOLDOUT_WRITERS form
the held-out split: rules are never tuned on them.
(Writers j and q were held out until they had been measured, then read to find what the rules miss.)

    python scripts/corpus_merge.py internal-customer
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HOLDOUT_WRITERS = {
    *("d", "e", "f", "h", "i", "k", "l", "m", "n", "o", "p", "r", "s", "v", "x"),
    *("aa", "ac", "ae", "ag", "ai", "ak", "am", "ao", "aq", "as", "au", "aw", "ay", "ba", "bc", "be"),
    *("bg", "bi", "bk", "bm", "bo", "bq", "bs", "bu", "bw", "by", "bz", "ca"),
}
# The writers named some kinds differently; one name per kind in the merged file.
KIND_NAMES = {
    "adv_negated_terms": "adv_opposite_terms",
    "adv_opposite": "adv_opposite_terms",
    "adv_terms_negated": "adv_opposite_terms",
    "bullet_outline": "bullet_list",
    "empty_or_nonsense": "empty",
    "no_idea": "empty",
    "fullwidth_punct": "odd_punctuation",
    "fullwidth_punctuation": "odd_punctuation",
    "generic_external": "generic_service",
    "generic_external_service": "generic_service",
    "names_kinds_only": "names_only",
    "one_sided_view": "one_sided_as_right",
    "paragraph_repeated": "repeated_paragraph",
    "sentence_repeated": "repeated_sentence",
    "personal_essay": "personal_experience",
    "prompt_copied": "copied_prompt",
    "short_complete_summary": "short_complete",
    "traditional_chars": "traditional",
    "traditional_chinese": "traditional",
    "typos_homophones": "typos",
    "plain_complete": "complete_plain",
    "names_three_kinds_only": "names_only",
    "adv_opposite_meaning": "adv_opposite_terms",
    "adv_points_as_questions": "adv_questions_only",
    "dont_know": "empty",
    "adversarial_scattered_terms": "adv_scattered_terms",
    "adversarial_opposite": "adv_opposite_terms",
    "adversarial_questions": "adv_questions_only",
    "adversarial_pasted_text": "adv_good_opening_pasted",
    "adversarial_hidden_passage": "adv_hidden_passage",
    "adversarial_headings_only": "adv_crammed_terms",
    "names_three_kinds": "names_only",
    "adversarial_crammed_terms": "adv_crammed_terms",
    "names_three_only": "names_only",
    "adversarial_good_start_pasted": "adv_good_opening_pasted",
    "adversarial_questions_only": "adv_questions_only",
    "traditional_chars_good": "traditional",
    "traditional_chars_mid": "traditional",
    "traditional_chars_weak": "traditional",
    "traditional_good": "traditional",
    "adversarial_good_then_pasted": "adv_good_opening_pasted",
    "empty_or_dont_know": "empty",
    "full_width_punct": "odd_punctuation",
    "very_short_complete": "short_complete",
    "traditional_medium": "traditional",
    "traditional_weak": "traditional",
    "meaningless": "empty",
    "adversarial_crammed": "adv_crammed_terms",
    "adversarial_hidden": "adv_hidden_passage",
    "adversarial_pasted": "adv_good_opening_pasted",
    "adversarial_scattered": "adv_scattered_terms",
    "adversarial_negated": "adv_opposite_terms",
    "traditional_mid": "traditional",
    "adv_terms_scattered": "adv_scattered_terms",
    "adv_outline_headings": "adv_crammed_terms",
    "adv_headings_only": "adv_crammed_terms",
    "adv_questions": "adv_questions_only",
    "colloquial_dialect": "colloquial",
    "adv_terms_crammed": "adv_crammed_terms",
    "empty_or_unknown": "empty",
    "complete_plain_words": "complete_plain",
    "adversarial_good_opening_pasted": "adv_good_opening_pasted",
    "unusual_punctuation": "odd_punctuation",
    "one_sided": "one_sided_as_right",
    "rearranged_prompt": "prompt_rearranged",
    "textbook_complete": "complete_textbook",
    "adv_crammed": "adv_crammed_terms",
    "implied_links": "implied_link",
    "external_customer": "generic_service",
    "colloquial_sichuan": "colloquial",
    "colloquial_spoken": "colloquial",
    "refutes_unusual": "refutes_view",
    "adv_crammed_headings": "adv_crammed_terms",
    "empty_or_meaningless": "empty",
}


def writer_of(answer_id: str) -> str:
    """The writer of an answer: the letters its id starts with (``a`` for a001; ``aa`` for aa001 once the
    alphabet is used up)."""
    return answer_id.rstrip("0123456789")


def _read(path: Path) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(r["id"]): r for r in rows}


def main(rubric_id: str) -> int:
    base = Path(__file__).resolve().parent.parent / "corpus" / rubric_id
    raw = base / "raw"
    first: dict[str, dict[str, object]] = {}
    second: dict[str, dict[str, object]] = {}
    for path in sorted(raw.glob("writer-*.jsonl")):
        first.update(_read(path))
    for path in sorted(raw.glob("marker2-*.jsonl")):
        second.update(_read(path))
    adjudicated = _read(raw / "adjudication.jsonl") if (raw / "adjudication.jsonl").exists() else {}
    missing = sorted(set(first) ^ set(second))
    if missing:
        print(f"ids not marked twice: {missing}", file=sys.stderr)
        return 1
    out = []
    for answer_id in sorted(first):
        a, b = first[answer_id], second[answer_id]
        ca: dict[str, float] = a["concepts"]  # type: ignore[assignment]
        cb: dict[str, float] = b["concepts"]  # type: ignore[assignment]
        concepts = {k: (ca[k] + cb[k]) / 2 for k in ca}
        score = (float(a["score"]) + float(b["score"])) / 2  # type: ignore[arg-type]
        note = ""
        if answer_id in adjudicated:
            adj = adjudicated[answer_id]
            concepts = adj["concepts"]  # type: ignore[assignment]
            score = float(adj["score"])  # type: ignore[arg-type]
            note = str(adj.get("note", ""))
        elif abs(float(a["score"]) - float(b["score"])) > 2:  # type: ignore[arg-type]
            print(f"{answer_id}: markers differ by more than 2 points and no adjudication", file=sys.stderr)
            return 1
        out.append(
            {
                "id": answer_id,
                "split": "holdout" if writer_of(answer_id) in HOLDOUT_WRITERS else "dev",
                "kind": KIND_NAMES.get(str(a["kind"]), a["kind"]),
                "answer": a["answer"],
                "score": score,
                "concepts": concepts,
                "marker_a": {"score": a["score"], "concepts": ca},
                "marker_b": {"score": b["score"], "concepts": cb},
                "resolution": note,
            }
        )
    target = base / "answers.jsonl"
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"wrote {len(out)} answers to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "internal-customer"))
