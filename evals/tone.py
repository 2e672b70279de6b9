"""The offline per-turn tone scorers: deterministic, rule-based, no model.

Each scorer gives a number in 0..1 (1 is the behaviour the coach wants) or ``None`` when
it does not apply (no citation to check, no stage to keep to). ``overall`` is the
weighted mean of the positive scorers that apply, times a factor for each penalty
scorer that found a problem (weights in ``tone_lexicon.yaml``).

=======================  ==============================================================
validation               acknowledges or names the clinician's feelings
reflection               a reflective statement that gives back what they said
exploration              invites more with an open question (not at the close)
one_question             at most one question in the turn
no_judgement             no judgement or blame
no_advice                no unsolicited or clinical advice (asked permission: 0.8)
no_minimising            no minimising or toxic positivity
no_diagnosis             does not diagnose the clinician
length_readability       length within limits, plain English (Flesch reading ease)
citation_faithfulness    each cited sentence is supported by the passage it cites
stage_adherence          the reply serves the debrief stage it belongs to
=======================  ==============================================================

The judgement, advice, minimising and diagnosis scorers also count a failure of the
coach's own reply check (``guardrails.reply_check``) for that behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from evals.lexicon import ToneLexicon, load_lexicon
from evals.text import content_stems, flesch_reading_ease, questions, sentences, words
from guardrails.reply_check import check_reply

__all__ = ["SCORERS", "ToneResult", "ToneScorer", "TurnInput"]

SCORERS: Final = (
    "validation",
    "reflection",
    "exploration",
    "one_question",
    "no_judgement",
    "no_advice",
    "no_minimising",
    "no_diagnosis",
    "length_readability",
    "citation_faithfulness",
    "stage_adherence",
)
_CHECK_FOR: Final = {
    "no_judgement": "blame",
    "no_advice": "clinical_advice",
    "no_minimising": "minimising",
    "no_diagnosis": "diagnosis",
}
_AUTHOR_YEAR: Final = re.compile(r"\([^()]*\d{4}[^()]*\)")
_SOMETHING_USEFUL: Final = re.compile(r"^[^:]{0,60}:\s*")
_SECOND_PERSON: Final = re.compile(r"\byou(?:r|rs|rself|'re|'ve|'d|'ll)?\b")
# A sentence that opens with the speaker's own view or story is not a reflection.
_SPEAKER_VIEW: Final = re.compile(
    r"(?:well,? |yes,? |no,? |but |and )?(?:i(?!'?m hearing| hear| can hear| can see)\b|"
    r"we\b|my\b|let me\b|let's\b|there'?s nothing|everyone\b|any\b|people\b)"
)


@dataclass(frozen=True)
class TurnInput:
    """One coach turn to score, with what it answered."""

    context: str  # the clinician's message ("" when unknown)
    response: str  # the coach's reply
    stage: str | None = None  # the debrief stage the reply serves, when known
    passages: Mapping[str, str] = field(default_factory=dict)  # citation id -> passage text
    expects_question: bool = True  # False at the close or in "just listen"


@dataclass(frozen=True)
class ToneResult:
    scores: dict[str, float]  # only the scorers that apply
    overall: float
    notes: dict[str, str]  # why a scorer marked the turn down (the matched words)

    def as_json(self) -> dict[str, object]:
        return {
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "overall": round(self.overall, 4),
            "notes": self.notes,
        }


class ToneScorer:
    def __init__(self, lexicon: ToneLexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        lx = self.lexicon
        self._feelings = lx.compiled("feelings")
        self._validation = lx.compiled("validation")
        self._frame = lx.compiled("reflection_frame")
        self._advice = lx.compiled("advice")
        self._reported = lx.compiled("reported")
        self._imperative = lx.compiled("imperative")
        self._permission = lx.compiled("permission")
        self._judgement = lx.compiled("judgement")
        self._minimising = lx.compiled("minimising")
        self._diagnosis = lx.compiled("diagnosis")
        self._open = lx.compiled("open_question")
        self._closed = lx.compiled("closed_question")
        self._marker = lx.compiled("citation_marker")

    @property
    def version(self) -> int:
        return self.lexicon.version

    # --- the scorers ----------------------------------------------------------------

    def reflective(self, parts: list[str]) -> list[str]:
        """Statements (not questions) that give back what the person said: framed as a
        reflection, or about "you" without advice, judgement or the speaker's own view."""
        found = []
        for s in parts:
            if s.endswith("?"):
                continue
            body = _SOMETHING_USEFUL.sub("", s) if s.startswith("thank you") else s
            framed = bool(self._frame.search(body) or self._frame.search(s))
            about_you = bool(_SECOND_PERSON.search(s)) and not _SPEAKER_VIEW.match(s)
            if not (framed or about_you):
                continue
            if self._advises(s) or self._judges(s) or self._minimising.search(s):
                continue
            found.append(s)
        return found

    def reflection(self, context: str, parts: list[str]) -> float:
        reflective = self.reflective(parts)
        if not reflective:
            return 0.0
        said = content_stems(context)
        if not said:
            return 1.0
        echoed = content_stems(" ".join(reflective)) & said
        share = len(echoed) / min(len(said), 5)
        return 0.5 + 0.5 * min(1.0, share)

    def validation(self, text: str, parts: list[str]) -> float:
        if self._validation.search(text):
            return 1.0
        if any(self._feelings.search(s) for s in self.reflective(parts)):
            return 1.0
        if self._feelings.search(text) and re.search(r"\byou", text):
            return 0.5
        return 0.0

    def exploration(self, parts: list[str]) -> float:
        asked = questions(parts)
        invitations = [s for s in parts if re.match(r"(?:i wonder|tell me|say more)", s)]
        if any(self._open.search(q) for q in asked) or invitations:
            return 1.0
        if asked:
            return 0.4
        return 0.0

    @staticmethod
    def one_question(parts: list[str]) -> float:
        asked = sum(s.count("?") > 0 for s in parts)
        return 1.0 if asked <= 1 else 0.5 if asked == 2 else 0.0

    def _unreported(self, pattern: re.Pattern[str], sentence: str) -> str:
        """The first match of ``pattern`` that is not the listener's own view given back
        ("you feel you should have ...", "whether you need to ...")."""
        for match in pattern.finditer(sentence):
            clause = re.split(r"[,;:]| but | and ", sentence[: match.start()])[-1]
            opening = sentence[: match.start()]
            if not (self._reported.search(clause) or self._reported.match(opening)):
                return match.group(0)
        return ""

    def _advises(self, sentence: str) -> str:
        """The advice in a statement: an instruction, or advice not given back as theirs."""
        start = self._imperative.search(sentence)
        if start:
            return start.group(0)
        return self._unreported(self._advice, sentence)

    def _judges(self, text: str) -> str:
        return next((h for s in sentences(text) if (h := self._unreported(self._judgement, s))), "")

    def no_advice(self, text: str, parts: list[str]) -> tuple[float, str]:
        advised = [(s, h) for s in parts if not s.endswith("?") and (h := self._advises(s))]
        # An offer that leaves the choice to them in the same sentence is not advice.
        advised = [(s, h) for s, h in advised if not self._permission.search(s)]
        hit = advised[0][1] if advised else ""
        if not hit:
            return 1.0, ""
        if self._permission.search(text):
            return 0.8, hit
        return 0.0, hit

    def length_readability(self, text: str, parts: list[str]) -> float:
        limits = self.lexicon.length
        n = len(words(text))
        if n < limits.min_words:
            length = n / limits.min_words
        elif n > limits.max_words:
            length = max(0.0, 1.0 - (n - limits.max_words) / limits.max_words)
        else:
            length = 1.0
        longest = max((len(words(s)) for s in parts), default=0)
        if longest > limits.max_sentence_words:
            length *= 0.8
        r = self.lexicon.readability
        fre = flesch_reading_ease(text)
        readable = min(1.0, max(0.0, (fre - r.poor_flesch) / (r.good_flesch - r.poor_flesch)))
        return (length + readable) / 2

    def citation_faithfulness(self, response: str, passages: Mapping[str, str]) -> float | None:
        cited = [s for s in sentences(response) if self._marker.search(s)]
        if not cited:
            return None
        supported = 0
        for s in cited:
            ids = [m.group(1).upper() for m in self._marker.finditer(s)]
            claim = _SOMETHING_USEFUL.sub("", _AUTHOR_YEAR.sub("", self._marker.sub("", s)))
            stems = content_stems(claim)
            for pid in ids:
                source = passages.get(pid)
                if source is None or not stems:
                    continue
                share = len(stems & content_stems(source)) / len(stems)
                if share >= self.lexicon.citation_support:
                    supported += 1
                    break
        return supported / len(cited)

    def stage_adherence(self, stage: str, parts: list[str]) -> float:
        asked = questions(parts)
        text = " ".join(asked) if asked else " ".join(parts)
        if self.lexicon.stage_pattern(stage).search(text):
            return 1.0
        others = [
            s for s in self.lexicon.stage_cues if s != stage and self.lexicon.stage_pattern(s)
        ]
        if any(self.lexicon.stage_pattern(s).search(text) for s in others):
            return 0.0 if asked else 0.5
        return 0.5

    # --- one turn -------------------------------------------------------------------

    def score(self, turn: TurnInput) -> ToneResult:
        text = " ".join(sentences(turn.response))
        parts = sentences(turn.response)
        context = " ".join(sentences(turn.context))
        verdict = check_reply(turn.response) if turn.response.strip() else None
        failed = {r.split(":", 1)[0] for r in verdict.reasons} if verdict else set()
        scores: dict[str, float] = {}
        notes: dict[str, str] = {}

        scores["validation"] = self.validation(text, parts)
        scores["reflection"] = self.reflection(context, parts)
        if turn.expects_question:
            scores["exploration"] = self.exploration(parts)
        scores["one_question"] = self.one_question(parts)

        judged = self._judges(text)
        scores["no_judgement"] = 0.0 if judged else 1.0
        if judged:
            notes["no_judgement"] = judged
        for name, pattern in (
            ("no_minimising", self._minimising),
            ("no_diagnosis", self._diagnosis),
        ):
            match = pattern.search(text)
            scores[name] = 0.0 if match else 1.0
            if match:
                notes[name] = match.group(0)
        scores["no_advice"], hit = self.no_advice(text, parts)
        if hit:
            notes["no_advice"] = hit
        for name, check in _CHECK_FOR.items():
            if check in failed:
                scores[name] = 0.0
                reason = next(r for r in verdict.reasons if r.startswith(check)) if verdict else ""
                notes[name] = f"reply check: {reason}"

        scores["length_readability"] = self.length_readability(turn.response, parts)
        faithful = self.citation_faithfulness(turn.response, turn.passages)
        if faithful is not None:
            scores["citation_faithfulness"] = faithful
        if turn.stage is not None:
            scores["stage_adherence"] = self.stage_adherence(turn.stage, parts)
        return ToneResult(scores=scores, overall=self.overall(scores), notes=notes)

    def overall(self, scores: Mapping[str, float]) -> float:
        weights = self.lexicon.overall
        applicable = {k: w for k, w in weights.positive.items() if k in scores}
        total = sum(applicable.values())
        base = sum(scores[k] * w for k, w in applicable.items()) / total if total else 0.0
        factor = 1.0
        floor = weights.penalty_floor
        for name in weights.penalties:
            if name in scores:
                factor *= floor + (1.0 - floor) * scores[name]
        return base * factor
