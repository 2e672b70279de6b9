"""The regression gate: ``thresholds.yaml`` (versioned package data) holds a minimum or a
maximum for each metric, per profile (``full``: the real wiring and every scenario, as
``make evals`` runs it; ``fast``: the fast subset on the test wiring, as ``make test``)."""

from __future__ import annotations

from functools import cache
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from evals.metrics import METRIC_HELP

__all__ = ["Bound", "Failure", "ThresholdError", "Thresholds", "check", "load_thresholds"]

THRESHOLDS_VERSION: Final = 1
Profile = Literal["full", "fast"]


class ThresholdError(ValueError):
    """``thresholds.yaml`` is malformed; the message says what to fix."""


class Bound(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give `min` or `max`")
        return self


class Thresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    baseline: dict[str, str]  # how the figures the bounds came from were measured
    profiles: dict[Profile, dict[str, Bound]]

    @model_validator(mode="after")
    def _known(self) -> Thresholds:
        for profile, bounds in self.profiles.items():
            unknown = sorted(set(bounds) - set(METRIC_HELP))
            if unknown:
                raise ValueError(
                    f"profile {profile}: unknown metrics {unknown}; known: {sorted(METRIC_HELP)}"
                )
        return self


class Failure(BaseModel):
    metric: str
    value: float | None
    bound: str  # ">= 0.6"

    def message(self) -> str:
        shown = "missing" if self.value is None else f"{self.value:.3f}"
        return f"{self.metric} = {shown}, needs {self.bound} ({METRIC_HELP[self.metric]})"


def parse_thresholds(text: str, where: str = "thresholds.yaml") -> Thresholds:
    try:
        parsed = Thresholds.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ThresholdError(f"{where} does not match the thresholds schema:\n{exc}") from exc
    if parsed.version != THRESHOLDS_VERSION:
        raise ThresholdError(
            f"{where} has version {parsed.version}; this code reads {THRESHOLDS_VERSION}"
        )
    return parsed


@cache
def load_thresholds(path: Path | None = None) -> Thresholds:
    if path is not None:
        return parse_thresholds(path.read_text("utf-8"), str(path))
    text = pkg_resources.files("evals").joinpath("thresholds.yaml").read_text("utf-8")
    return parse_thresholds(text)


def check(metrics: dict[str, float], thresholds: Thresholds, profile: Profile) -> list[Failure]:
    """The bounds ``metrics`` break. A bounded metric the run did not measure (another
    suite) is skipped, not failed."""
    failures: list[Failure] = []
    for name, bound in thresholds.profiles.get(profile, {}).items():
        if name not in metrics:
            continue
        value = metrics[name]
        if bound.min is not None and value < bound.min - 1e-9:
            failures.append(Failure(metric=name, value=value, bound=f">= {bound.min}"))
        if bound.max is not None and value > bound.max + 1e-9:
            failures.append(Failure(metric=name, value=value, bound=f"<= {bound.max}"))
    return failures
