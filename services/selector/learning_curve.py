"""When to stop labelling: a saturating learning curve fitted to the
project's model quality against its label count, and what the next labels
are predicted to add.

The curve is the inverse power law ``score(n) = a - b * n**-c`` that
learning-curve extrapolation commonly uses (Figueroa et al. 2012, "Predicting
sample size required for classification performance", BMC Med Inform Decis
Mak 12:8): ``a`` is the ceiling. With fewer than three distinct label counts
the exponent is fixed at 0.5; the interval comes from refitting on
bootstrap resamples of the points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_EXPONENT = 0.5
# Less than this gain (in Dice) from the next labels, even at the interval's top, is not worth them.
MIN_GAIN = 0.01
BOOTSTRAP = 200
MAX_RUNS = 1000  # training runs a project keeps for its curve (the newest)


def with_run(runs: Sequence[dict], model: str, version: int, labels: int, validation_dice: float, labelled: int,
             now: float) -> list[dict]:
    """The project's training runs with this one recorded (replacing an
    earlier record of the same model version), the newest ``MAX_RUNS``."""
    if model not in ("unet", "clicknet"):
        raise ValueError(f"'model' must be 'unet' or 'clicknet', got {model!r}")
    if not version or not labels:
        raise ValueError("'version' and 'labels' must be set: the published version and the labels it learned")
    check_training_point(labels, validation_dice, labelled)
    runs = [r for r in runs if (r["model"], r["version"]) != (model, version)]
    runs.append({"model": model, "version": version, "labels": labels, "validation_dice": validation_dice,
                 "recorded_at": now})
    return runs[-MAX_RUNS:]


def check_training_point(labels: int, validation_dice: float, labelled: int) -> None:
    """A point for the curve as a trainer reports it: a label count the
    project can have given (1 to its ``labelled`` samples) and a finite
    Dice between 0 and 1; else a ``ValueError`` naming the value."""
    if not 1 <= labels <= max(labelled, 1):
        raise ValueError(f"'labels' is {labels}, but the project has {labelled} labelled samples")
    if not (np.isfinite(validation_dice) and 0.0 <= validation_dice <= 1.0):
        raise ValueError(f"'validation_dice' is {validation_dice}; a Dice lies between 0 and 1")


@dataclass(frozen=True)
class LearningCurve:
    ceiling: float
    scale: float
    exponent: float

    def at(self, labels: float) -> float:
        return self.ceiling - self.scale * float(labels) ** -self.exponent


@dataclass(frozen=True)
class Outlook:
    """What ``ahead`` more labels are predicted to add to the score at ``labels``."""

    labels: int
    ahead: int
    current: float  # the fitted score at ``labels``
    predicted: float
    low: float  # 10th and 90th percentile of the predicted score
    high: float
    ceiling: float
    worth_it: bool

    def sentence(self) -> str:
        gain = self.predicted - self.current
        verdict = ("more labels still pay" if self.worth_it else
                   f"more labels are unlikely to pay (under +{MIN_GAIN:.2f} even at the interval's top)")
        return (f"at {self.labels} labels the model scores {self.current:.3f}; the next {self.ahead} are "
                f"predicted to bring it to {self.predicted:.3f} ({gain:+.3f}, 80 % interval "
                f"{self.low:.3f}–{self.high:.3f}; ceiling ≈ {self.ceiling:.3f}): {verdict}")


def fit_curve(counts: Sequence[float], scores: Sequence[float]) -> LearningCurve:
    """Fit the inverse power law to (label count, score) points.

    Parameters
    ----------
    counts, scores : sequence of float
        Label counts (at least two distinct) and the scores (e.g. Dice) at them.

    Returns
    -------
    LearningCurve
    """
    x = np.asarray(counts, float)
    y = np.asarray(scores, float)
    if len(np.unique(x)) < 2 or np.any(x <= 0):
        raise ValueError("a learning curve needs scores at two or more distinct, positive label counts")
    if len(np.unique(x)) >= 3:
        from scipy.optimize import curve_fit

        try:
            (a, b, c), _ = curve_fit(lambda n, a, b, c: a - b * n ** -c, x, y,
                                     p0=(min(y.max() + 0.02, 1.0), 0.5, DEFAULT_EXPONENT),
                                     bounds=([0.0, 0.0, 0.1], [1.0, 10.0, 2.0]), maxfev=5000)
            return LearningCurve(float(a), float(b), float(c))
        except (RuntimeError, ValueError):
            pass  # no convergence: the fixed-exponent fit below
    slope, intercept = np.polyfit(x ** -DEFAULT_EXPONENT, y, 1)
    scale = max(-slope, 0.0)
    ceiling = min(intercept if scale > 0 else float(y[x == x.max()].mean()), 1.0)
    return LearningCurve(float(ceiling), float(scale), DEFAULT_EXPONENT)


def outlook(counts: Sequence[float], scores: Sequence[float], ahead: int | None = None, seed: int = 0) -> Outlook:
    """What the next ``ahead`` labels (default: as many as there are) add.

    Parameters
    ----------
    counts, scores : sequence of float
        (label count, score) points, e.g. each trained model version's
        training labels and validation Dice.
    ahead : int, optional
        How many more labels to look at.
    seed : int
        For the bootstrap.

    Returns
    -------
    Outlook
    """
    x = np.asarray(counts, float)
    y = np.asarray(scores, float)
    labels = int(x.max())
    ahead = int(ahead or labels)
    curve = fit_curve(x, y)
    rng = np.random.default_rng(seed)
    predictions = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(len(x), size=len(x))
        if len(np.unique(x[pick])) < 2:
            continue
        resampled = fit_curve(x[pick], y[pick])
        predictions.append(resampled.at(labels + ahead) - resampled.at(labels))
    current = curve.at(labels)
    predicted = curve.at(labels + ahead)
    gains = np.asarray(predictions) if predictions else np.asarray([predicted - current])
    low, high = current + float(np.percentile(gains, 10)), current + float(np.percentile(gains, 90))
    return Outlook(labels, ahead, float(current), float(predicted), min(low, predicted), max(high, predicted),
                   curve.ceiling, high - current >= MIN_GAIN)


def project_outlook(runs: Sequence[dict], model: str = "unet") -> tuple[Outlook | None, int]:
    """The outlook from a project's recorded trainings of ``model`` (None
    until two label counts have a finite validation Dice), and the number
    of points it rests on."""
    points = [(r["labels"], r["validation_dice"]) for r in runs
              if r.get("model") == model and r.get("labels", 0) > 0 and np.isfinite(r.get("validation_dice", np.nan))]
    if len({labels for labels, _ in points}) < 2:
        return None, len(points)
    return outlook([p[0] for p in points], [p[1] for p in points]), len(points)
