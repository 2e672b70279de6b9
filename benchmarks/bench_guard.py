"""Guardrail latency per message, warm, on this machine: the risk check as shipped
(``build_classifier`` with the default settings: rules, the trained risk model and the
risk bank's vote, sharing one embedding memo), alone and with the message before it as
history, and its parts (rules; rules + model;
rules + the bank's vote, the fallback), de-identification, and the reply check.

Run with `make bench` (or `python -m benchmarks.bench_guard`). Writes
benchmarks/results/guard.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from coach.settings import Settings
from guardrails.deid import Deidentifier
from guardrails.evaluation import latency_ms, load_messages
from guardrails.guard import build_classifier
from guardrails.reply_check import ReplyChecker
from guardrails.risk import RaiseOnlyClassifier, RuleRiskClassifier
from guardrails.risk_bank import RiskBank
from guardrails.risk_model import RiskModel
from knowledge.embedder import MemoEmbedder, SentenceTransformerEmbedder

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT / "tests" / "data" / "risk_messages.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    texts = [m.text for m in load_messages(MESSAGES)]
    rules = RuleRiskClassifier()
    embedder = SentenceTransformerEmbedder()
    with tempfile.TemporaryDirectory() as cache:
        memo = MemoEmbedder(embedder)
        shipped = build_classifier(Settings(data_dir=Path(cache)), memo)

        def check_fresh(text: str) -> object:
            memo.clear()  # every message is new: only the sharing within one check counts
            return shipped.assess(text)

        # each message with the one before it in the set as the conversation so far (the
        # model then also reads the two together when the message is of some concern);
        # the message before is checked first, untimed, as the coach did a turn earlier
        previous = {t: texts[i - 1] for i, t in reversed(list(enumerate(texts))) if i}

        def check_previous(text: str) -> object:
            memo.clear()
            return shipped.assess(previous[text]) if text in previous else None

        def check_in_conversation(text: str) -> object:
            return shipped.assess(text, [previous[text]] if text in previous else [])

        hybrid = RaiseOnlyClassifier(rules, RiskModel(embedder))
        bank = RaiseOnlyClassifier(rules, RiskBank(embedder, cache_dir=Path(cache)))
        results = {
            "messages": len(texts),
            "check_shipped": latency_ms(check_fresh, texts, args.repeats),
            "check_shipped_with_history": latency_ms(
                check_in_conversation, texts, args.repeats, before=check_previous
            ),
            "check_rules": latency_ms(rules.assess, texts, args.repeats),
            "check_hybrid": latency_ms(hybrid.assess, texts, args.repeats),
            "check_rules_bank": latency_ms(bank.assess, texts, args.repeats),
            "redact": latency_ms(Deidentifier().redact, texts, args.repeats),
            "reply_check": latency_ms(ReplyChecker().check, texts, args.repeats),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "guard.json").write_text(json.dumps(results, indent=2))
    print(f"| step | p50 ms | p95 ms |  ({len(texts)} messages x {args.repeats}, warm)")
    print("|---|---|---|")
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"| {key} | {value['p50_ms']:.3f} | {value['p95_ms']:.3f} |")


if __name__ == "__main__":
    main()
