"""Validation of the offline tone scorers on externally labelled data (kept outside the
repository, e.g. ``../shared/data/tone``). Nothing is trained: the figures measure the
shipped lexicon as it is.

- ``pair``: within each prompt, high-quality reflections should score above medium and
  low ones (pairwise accuracy; a tie counts half).
- ``mi_welivita_pu_2023``: on the MI Gold test sentences, does ``no_advice`` or
  ``no_judgement`` flag advise-without-permission, confront and direct, and not simple or
  complex reflections and affirmations (precision, recall, F1)? And on the rephraser's
  pairs, how often are the advice sentences flagged against their rewrites.
- ``esconv``: supporter turns labelled question, restatement or reflection of feelings,
  and providing suggestions; the scorers' reading of each turn (3-way).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from evals.lexicon import load_lexicon
from evals.text import questions, sentences
from evals.tone import ToneScorer, TurnInput

__all__ = ["CalibrationError", "calibrate_all", "default_doc", "render_markdown"]

PAIR_TARGET: Final = 0.85
MI_DIRECTIVE: Final = frozenset({"Advise without Permission", "Confront", "Direct"})
MI_REFLECTIVE: Final = frozenset({"Simple Reflection", "Complex Reflection", "Affirm"})
ESCONV_CLASSES: Final = {
    "Question": "question",
    "Restatement or Paraphrasing": "reflection",
    "Reflection of feelings": "reflection",
    "Providing Suggestions": "suggestion",
}


class CalibrationError(ValueError):
    """The data folder is not as expected; the message says what is missing."""


def default_doc() -> Path:
    return Path(__file__).resolve().parent / "CALIBRATION.md"


def _need(path: Path, what: str) -> Path:
    if not path.exists():
        raise CalibrationError(f"{path} is missing ({what}); pass --data <.../data/tone>")
    return path


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


# ----------------------------------------------------------------------------- pair


def calibrate_pair(folder: Path, scorer: ToneScorer) -> dict[str, Any]:
    path = _need(folder / "pair_data.csv", "PAIR reflections")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows or "hq1" not in rows[0]:
        raise CalibrationError(f"{path} has no hq1/hq2/mq1/lq1..lq5 columns")
    wins: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    by_low: Counter[str] = Counter()
    low_totals: Counter[str] = Counter()
    means: dict[str, list[float]] = {"high": [], "medium": [], "low": []}

    def duel(name: str, a: float, b: float) -> float:
        result = 1.0 if a > b else 0.5 if a == b else 0.0
        wins[name] += result  # type: ignore[assignment]
        totals[name] += 1
        return result

    for row in rows:
        context = row["prompt"]
        score = {
            k: scorer.score(TurnInput(context, row[k])).overall
            for k in ("hq1", "hq2", "mq1", "lq1", "lq2", "lq3", "lq4", "lq5")
            if row.get(k, "").strip()
        }
        highs = [k for k in ("hq1", "hq2") if k in score]
        lows = [k for k in ("lq1", "lq2", "lq3", "lq4", "lq5") if k in score]
        means["high"] += [score[k] for k in highs]
        means["low"] += [score[k] for k in lows]
        if "mq1" in score:
            means["medium"].append(score["mq1"])
        for h in highs:
            for low in lows:
                result = duel("high_vs_low", score[h], score[low])
                by_low[low] += result  # type: ignore[assignment]
                low_totals[low] += 1
            if "mq1" in score:
                duel("high_vs_medium", score[h], score["mq1"])
        if "mq1" in score:
            for low in lows:
                duel("medium_vs_low", score["mq1"], score[low])
    accuracy = {k: wins[k] / totals[k] for k in totals}
    return {
        "prompts": len(rows),
        "pairs": dict(totals),
        "pairwise_accuracy": accuracy,
        "high_vs_low_by_low_column": {k: by_low[k] / low_totals[k] for k in sorted(low_totals)},
        "mean_overall": {k: sum(v) / len(v) for k, v in means.items() if v},
        "target_high_vs_low": PAIR_TARGET,
        "meets_target": accuracy.get("high_vs_low", 0.0) >= PAIR_TARGET,
    }


# ----------------------------------------------------------------------------- MI


def _directive(scorer: ToneScorer, text: str) -> bool:
    scores = scorer.score(TurnInput("", text)).scores
    return scores["no_advice"] < 0.5 or scores["no_judgement"] < 0.5


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def calibrate_mi(folder: Path, scorer: ToneScorer) -> dict[str, Any]:
    path = _need(folder / "mi_gold" / "test_output.csv", "MI Gold test sentences")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    label_key = "Ground truth"
    if not rows or label_key not in rows[0] or "Text" not in rows[0]:
        raise CalibrationError(f"{path} has no Text / Ground truth columns")
    tp = fp = fn = tn = 0
    flagged_by_label: Counter[str] = Counter()
    label_counts: Counter[str] = Counter()
    for row in rows:
        label = row[label_key].strip()
        label_counts[label] += 1
        flagged = _directive(scorer, row["Text"])
        flagged_by_label[label] += flagged
        if label in MI_DIRECTIVE:
            tp += flagged
            fn += not flagged
        elif label in MI_REFLECTIVE:
            fp += flagged
            tn += not flagged
    binary = _prf(tp, fp, fn)
    binary["accuracy"] = (tp + tn) / (tp + fp + fn + tn) if tp + fp + fn + tn else 0.0
    # The same detector over every sentence: directive against all other codes.
    all_tp = sum(flagged_by_label[k] for k in MI_DIRECTIVE)
    all_fp = sum(v for k, v in flagged_by_label.items() if k not in MI_DIRECTIVE)
    all_fn = sum(label_counts[k] for k in MI_DIRECTIVE) - all_tp
    pairs: dict[str, Any] = {}
    for variant in ("pp_template", "pp_retrieve"):
        files = sorted((folder / variant).glob("*.jsonl")) if (folder / variant).is_dir() else []
        items = [item for f in files for item in _jsonl(f)]
        if not items:
            continue
        sources = {str(i["prompt"]).split("###")[0].strip() for i in items}
        targets = {str(i["completion"]).replace(" END", "").strip() for i in items}
        pairs[variant] = {
            "advice_sentences": len(sources),
            "advice_flagged": sum(_directive(scorer, s) for s in sources) / len(sources),
            "rewrites": len(targets),
            "rewrites_flagged": sum(_directive(scorer, t) for t in targets) / len(targets),
        }
    return {
        "sentences": len(rows),
        "directive_vs_reflective": {"n": tp + fp + fn + tn, **binary},
        "directive_vs_all_other_codes": _prf(all_tp, all_fp, all_fn),
        "flag_rate_by_label": {
            k: flagged_by_label[k] / label_counts[k] for k in sorted(label_counts)
        },
        "rephraser_pairs": pairs,
    }


# ----------------------------------------------------------------------------- ESConv


def _esconv_read(scorer: ToneScorer, context: str, text: str) -> str:
    scores = scorer.score(TurnInput(context, text)).scores
    parts = sentences(text)
    if scores["no_advice"] < 0.5:
        return "suggestion"
    reflective = scorer.reflective(parts)
    asked = questions(parts)
    if asked and len(asked) >= len(reflective):
        return "question"
    if reflective or scores["validation"] >= 1.0:
        return "reflection"
    return "question" if asked else "other"


def calibrate_esconv(folder: Path, scorer: ToneScorer, split: str = "test") -> dict[str, Any]:
    path = _need(folder / f"{split}.json", f"ESConv {split} split (JSON lines)")
    gold: list[str] = []
    pred: list[str] = []
    for conversation in _jsonl(path):
        previous = ""
        for turn in conversation.get("dialog", []):
            text = str(turn.get("text", ""))
            if turn.get("speaker") == "usr":
                previous = text
                continue
            label = ESCONV_CLASSES.get(str(turn.get("strategy", "")))
            if label is None or not text.strip():
                continue
            gold.append(label)
            pred.append(_esconv_read(scorer, previous, text))
    classes = ("question", "reflection", "suggestion")
    per_class = {}
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        per_class[c] = {**_prf(tp, fp, fn), "support": gold.count(c)}
    confusion = {
        g: dict(Counter(p for gg, p in zip(gold, pred, strict=True) if gg == g)) for g in classes
    }
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    macro = sum(v["f1"] for v in per_class.values()) / len(classes)
    return {
        "split": split,
        "turns": len(gold),
        "accuracy": accuracy,
        "macro_f1": macro,
        "per_class": per_class,
        "confusion": confusion,
    }


# ----------------------------------------------------------------------------- all


def calibrate_all(data: Path) -> dict[str, Any]:
    if not data.is_dir():
        raise CalibrationError(
            f"{data} is not a folder; pass --data with the tone data folder "
            "(the one holding pair/, mi_welivita_pu_2023/ and esconv/)"
        )
    scorer = ToneScorer()
    report: dict[str, Any] = {
        "lexicon_version": load_lexicon().version,
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    found = 0
    if (data / "pair").is_dir():
        report["pair"] = calibrate_pair(data / "pair", scorer)
        found += 1
    if (data / "mi_welivita_pu_2023").is_dir():
        report["mi_welivita_pu_2023"] = calibrate_mi(data / "mi_welivita_pu_2023", scorer)
        found += 1
    if (data / "esconv").is_dir():
        report["esconv"] = calibrate_esconv(data / "esconv", scorer)
        found += 1
    if not found:
        raise CalibrationError(f"{data} holds none of pair/, mi_welivita_pu_2023/, esconv/")
    summary: dict[str, Any] = {"lexicon_version": report["lexicon_version"]}
    if "pair" in report:
        summary["pair_high_vs_low"] = round(report["pair"]["pairwise_accuracy"]["high_vs_low"], 3)
    if "mi_welivita_pu_2023" in report:
        mi = report["mi_welivita_pu_2023"]["directive_vs_reflective"]
        summary["mi_directive_f1"] = round(mi["f1"], 3)
    if "esconv" in report:
        summary["esconv_macro_f1"] = round(report["esconv"]["macro_f1"], 3)
    report["summary"] = summary
    return report


def _pct(value: float) -> str:
    return f"{value:.3f}"


def render_markdown(report: dict[str, Any], data: Path) -> str:
    lines = [
        "# Calibration of the offline tone scorers",
        "",
        f"Produced by `coach evals calibrate --data {data}` (lexicon version "
        f"{report['lexicon_version']}, {report['measured']}). Nothing is trained on these "
        "data: they stay outside the repository and the figures measure the shipped, "
        "hand-written lexicon (`evals/tone_lexicon.yaml`).",
        "",
    ]
    pair = report.get("pair")
    if pair:
        acc = pair["pairwise_accuracy"]
        verdict = "meets" if pair["meets_target"] else "**misses**"
        lines += [
            "## PAIR (Min et al., 2022): ranking reflections within a prompt",
            "",
            f"{pair['prompts']} prompts; each high-quality reflection against each low one "
            "(a tie counts half).",
            "",
            "| pair | pairs | accuracy |",
            "|---|---|---|",
            *(
                f"| {k.replace('_', ' ')} | {pair['pairs'][k]} | {_pct(v)} |"
                for k, v in acc.items()
            ),
            "",
            f"High vs low: {_pct(acc['high_vs_low'])}, which {verdict} the target of "
            f"{pair['target_high_vs_low']}. By low-quality column: "
            + ", ".join(f"{k} {_pct(v)}" for k, v in pair["high_vs_low_by_low_column"].items())
            + ". Mean overall: "
            + ", ".join(f"{k} {_pct(v)}" for k, v in pair["mean_overall"].items())
            + ".",
            "",
        ]
    mi = report.get("mi_welivita_pu_2023")
    if mi:
        b = mi["directive_vs_reflective"]
        a = mi["directive_vs_all_other_codes"]
        lines += [
            "## MI Gold (Welivita & Pu, 2022): advice, confront and direct",
            "",
            f"{mi['sentences']} test sentences. A sentence counts as directive when "
            "`no_advice` or `no_judgement` is below 0.5.",
            "",
            "| task | n | precision | recall | F1 |",
            "|---|---|---|---|---|",
            f"| advise w/o permission, confront, direct vs simple/complex reflection, affirm "
            f"| {b['n']} | {_pct(b['precision'])} | {_pct(b['recall'])} | {_pct(b['f1'])} |",
            f"| the same three vs every other code | {mi['sentences']} | {_pct(a['precision'])} "
            f"| {_pct(a['recall'])} | {_pct(a['f1'])} |",
            "",
            "Share flagged, by gold code: "
            + ", ".join(f"{k} {_pct(v)}" for k, v in mi["flag_rate_by_label"].items())
            + ".",
            "",
        ]
        for variant, p in mi["rephraser_pairs"].items():
            lines.append(
                f"- `{variant}`: {p['advice_sentences']} advise-without-permission sentences, "
                f"{_pct(p['advice_flagged'])} flagged; their {p['rewrites']} "
                f"advise-with-permission rewrites, {_pct(p['rewrites_flagged'])} flagged."
            )
        lines.append("")
    es = report.get("esconv")
    if es:
        lines += [
            "## ESConv (Liu et al., 2021): question, reflection, suggestion",
            "",
            f"{es['turns']} supporter turns of the {es['split']} split labelled Question, "
            "Restatement or Paraphrasing / Reflection of feelings (reflection), or Providing "
            "Suggestions. Each turn is read as a suggestion when `no_advice` is below 0.5, "
            "else as a question when it asks at least as many questions as it makes "
            "reflective statements, else as a reflection when it reflects or validates.",
            "",
            f"Accuracy {_pct(es['accuracy'])}, macro F1 {_pct(es['macro_f1'])}.",
            "",
            "| class | support | precision | recall | F1 |",
            "|---|---|---|---|---|",
            *(
                f"| {c} | {v['support']} | {_pct(v['precision'])} | {_pct(v['recall'])} "
                f"| {_pct(v['f1'])} |"
                for c, v in es["per_class"].items()
            ),
            "",
            "Confusion (gold → read as): "
            + "; ".join(
                f"{g}: " + ", ".join(f"{p} {n}" for p, n in sorted(row.items()))
                for g, row in es["confusion"].items()
            )
            + ".",
            "",
        ]
    lines += [
        "## How far to trust these figures",
        "",
        "- The lexicon was written by hand, then adjusted in one pass while reading PAIR "
        "errors (so the PAIR figure is in-sample) and the advise-without-permission "
        "sentences of the rephraser's *train* files (`pp_*/advise_train.jsonl`). The MI Gold "
        "test sentences and ESConv were only scored, never read for rules, so those figures "
        "are closer to held-out ones.",
        "- PAIR's low-quality column lq2 is mostly closed or leading questions, which "
        "`overall` ranks low because a reflection outweighs a question; a coach that asks "
        "good open questions is not penalised for asking, only for not reflecting.",
        "- The advice detector favours precision: it misses advice phrased as information "
        '("therapy would help") and most confrontation, which reads like a statement.',
        "- ESConv's reflection class is the weakest: its reflections are often short, "
        "third-person or question-shaped, and many suggestions are phrased as questions "
        '("have you tried...?").',
        "- These data sets are research / non-commercial; they stay in `../shared` and no "
        "weights or rows are shipped. Tests that read them skip when `../shared` is absent.",
        "",
    ]
    return "\n".join(lines)
