"""Reading the GoEmotions splits (training and evaluation only; never at run time).

GoEmotions (Demszky et al., 2020, Apache-2.0) is read from wherever it lies on the
machine, e.g. ``../shared/data/risk/goemotions``; none of it is copied into the repo.
Each split is a headerless TSV: ``text``, comma-separated label ids, comment id, the
ids indexing ``labels.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")


class DatasetError(RuntimeError):
    """The GoEmotions folder is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Examples:
    """One split: texts and a (rows x labels) 0/1 matrix over :attr:`labels`."""

    texts: list[str]
    targets: npt.NDArray[np.int8]
    labels: tuple[str, ...]

    def column(self, label: str) -> npt.NDArray[np.int8]:
        column: npt.NDArray[np.int8] = self.targets[:, self.labels.index(label)]
        return column


def find_split_dir(data: Path) -> Path:
    """The folder holding ``labels.txt`` and the TSVs: ``data`` itself, or the
    ``data/original`` folder of the shared copy."""
    for candidate in (data, data / "data" / "original", data / "original", data / "data"):
        if (candidate / "labels.txt").is_file() and (candidate / "train.tsv").is_file():
            return candidate
    raise DatasetError(
        f"No GoEmotions splits under {data}: expected labels.txt and train/dev/test.tsv "
        "there or in data/original/ (e.g. --data ../shared/data/risk/goemotions)."
    )


def read_labels(split_dir: Path) -> tuple[str, ...]:
    path = split_dir / "labels.txt"
    labels = tuple(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())
    if len(labels) != 28:
        raise DatasetError(f"{path}: expected the 28 GoEmotions labels, found {len(labels)}")
    return labels


def read_split(data: Path, split: Split) -> Examples:
    """One split of GoEmotions as texts and a multi-label target matrix."""
    split_dir = find_split_dir(data)
    labels = read_labels(split_dir)
    path = split_dir / f"{split}.tsv"
    if not path.is_file():
        raise DatasetError(f"{path} is missing")
    texts: list[str] = []
    rows: list[list[int]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise DatasetError(f"{path}:{number}: expected 3 tab-separated fields")
        try:
            ids = [int(i) for i in fields[1].split(",")]
        except ValueError as exc:
            raise DatasetError(f"{path}:{number}: bad label ids {fields[1]!r}") from exc
        if any(not 0 <= i < len(labels) for i in ids):
            raise DatasetError(f"{path}:{number}: label id out of range in {fields[1]!r}")
        texts.append(fields[0])
        rows.append(ids)
    targets = np.zeros((len(texts), len(labels)), dtype=np.int8)
    for row, ids in enumerate(rows):
        targets[row, ids] = 1
    return Examples(texts, targets, labels)
