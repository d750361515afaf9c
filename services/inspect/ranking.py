"""The label-error ranking: labels scored one by one as
:func:`~labelassist.inspect.label_errors.suspect_label` scores them, then
their suspected errors and the labels themselves ordered most suspect first.

The service feeds it a project's labels from the selector, the evaluation
labels with planted errors; both read the same order from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from labelassist.inspect.label_errors import SuspectedError, suspect_label
from labelassist.inspect.settings import InspectionSettings

Key = TypeVar("Key")


@dataclass
class RankedLabels(Generic[Key]):
    """A ranking's outcome, each entry under the key its label was added with.

    ``suspects``: every suspected error, most likely first; ``labels``:
    (key, the label's highest score, its number of suspects), most suspect
    first; ``skipped``: (key, why) for the labels that could not be scored."""

    suspects: list[tuple[Key, SuspectedError]] = field(default_factory=list)
    labels: list[tuple[Key, float, int]] = field(default_factory=list)
    skipped: list[tuple[Key, str]] = field(default_factory=list)


class LabelRanking(Generic[Key]):
    """Labels added one at a time (so a long ranking can report progress
    and be stopped between labels), ranked at the end.

    Parameters
    ----------
    probability : callable
        image -> the model's foreground probability (H, W).
    settings : InspectionSettings, optional
        The project's criteria, calibrated or not.
    skip : tuple of exception types
        What adding one label may raise and leave out of the ranking (named
        in ``skipped``) while the others go on; anything else propagates.
    """

    def __init__(self, probability: Callable[[np.ndarray], np.ndarray], settings: InspectionSettings | None = None,
                 skip: tuple[type[BaseException], ...] = (ValueError,)):
        self.probability, self.settings, self.skip = probability, settings, skip
        self._found = RankedLabels()

    def add(self, key: Key, arrays: Callable[[], tuple[np.ndarray, np.ndarray]]) -> list[SuspectedError]:
        """Score the label and image that ``arrays()`` gives (read only now);
        its suspected errors, none when it was skipped."""
        try:
            label, image = arrays()
            found = suspect_label(label, image, self.probability(image), self.settings)
        except self.skip as error:
            self._found.skipped.append((key, str(error)))
            return []
        self._found.suspects += [(key, suspect) for suspect in found]
        self._found.labels.append((key, found[0].score if found else 0.0, len(found)))
        return found

    def ranked(self) -> RankedLabels[Key]:
        """Everything added so far, most suspect first."""
        return RankedLabels(sorted(self._found.suspects, key=lambda entry: -entry[1].score),
                            sorted(self._found.labels, key=lambda entry: -entry[1]), list(self._found.skipped))


__all__ = ["LabelRanking", "RankedLabels"]
