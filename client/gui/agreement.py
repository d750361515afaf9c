"""Agreement over time in the desktop client, without Qt: the project's and
each annotator's matched-object F1 per window (calendar week, or every N
labels) from the selector's ``AgreementOverTime``, laid out for a plot on
one axis of windows. Reviewers and admins see every annotator; anyone
else the project and themselves (the selector decides)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PROJECT = "project"
WINDOWS = {"week": "per calendar week", "labels": "per N labels"}


@dataclass(frozen=True)
class Series:
    """One line of the plot: its name (``PROJECT`` or an annotator), and per
    window it has labels in: the window's place on the axis, F1 with its
    95 % interval, boundary F1 and the labels counted."""
    name: str
    x: list[int] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    boundary_f1: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class AgreementChart:
    """The windows in time order (the axis' tick names) and the series on them."""
    window: str
    ticks: list[str]
    series: list[Series]

    @property
    def empty(self) -> bool:
        return not any(s.x for s in self.series)

    def summary(self) -> str:
        """The project's first and newest window in words."""
        project = next((s for s in self.series if s.name == PROJECT and s.f1), None)
        if project is None:
            return "No agreement yet: it needs samples that two or more annotators labelled"
        first, last = project.f1[0], project.f1[-1]
        return (f"project F1 {first:.2f} in {self.ticks[project.x[0]]} → {last:.2f} in "
                f"{self.ticks[project.x[-1]]} ({len(self.series) - 1} annotators)")


def chart(response) -> AgreementChart:
    """An ``AgreementOverTimeResponse`` as an :class:`AgreementChart`: every
    window any series has, ordered by its start, the project first."""
    named = [(PROJECT, list(response.project))] + [(s.annotator, list(s.windows)) for s in response.annotators]
    starts: dict[str, float] = {}
    for _, windows in named:
        for window in windows:
            starts[window.name] = min(starts.get(window.name, window.start), window.start)
    ticks = sorted(starts, key=lambda name: (starts[name], name))
    place = {name: index for index, name in enumerate(ticks)}
    series = []
    for name, windows in named:
        windows = sorted(windows, key=lambda w: place[w.name])
        series.append(Series(name, [place[w.name] for w in windows], [w.f1 for w in windows],
                             [w.f1_low for w in windows], [w.f1_high for w in windows],
                             [w.boundary_f1 for w in windows], [int(w.labels) for w in windows]))
    return AgreementChart(response.window or "week", ticks, series)


class AgreementController:
    """Agreement over time for one window's connection.

    Parameters
    ----------
    client : LabelAssistClient
        The services.
    """

    def __init__(self, client):
        self.client = client

    def over_time_call(self, project: str, window: str = "week", labels_per_window: int = 0
                       ) -> Callable[[], AgreementChart]:
        """The project's agreement per ``window`` ("week" or "labels", every
        ``labels_per_window`` labels) as a chart."""
        if window not in WINDOWS:
            raise ValueError(f"'window' must be one of {', '.join(WINDOWS)}, got {window!r}")
        agreement = self.client.agreement
        return lambda: chart(agreement.agreement_over_time(project, window, labels_per_window))


__all__ = ["AgreementChart", "AgreementController", "PROJECT", "Series", "chart"]
