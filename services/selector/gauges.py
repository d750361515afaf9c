"""The selector's Prometheus gauges (``--metrics-port``): its scorer and
ranked queues, and for each project several annotators label its agreement,
the adjudication still to do, its annotators' estimated accuracy and their
agreement on classes,
read when Prometheus scrapes."""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa

from labelassist.selector.agreement_records import project_summary
from labelassist.selector.ranked_queue import RankedQueues
from labelassist.selector.schema import gold_labels, labels, reviews
from labelassist.selector.scorer import Scorer
from labelassist.selector.store import Store

STATISTICS = ("min", "median", "max")
# Measuring again waits this many times as long as the last measuring took, so that a
# busy project scraped every few seconds costs the selector at most a tenth of its time.
COST_FACTOR = 10
log = logging.getLogger(__name__)


def register_gauges(metrics, scorer: Scorer, queues: RankedQueues, store: Store) -> None:
    """Add the selector's gauges to a service's metrics."""
    metrics.gauge("labelassist_selector_scored_per_second", "Samples the U-Net scored per second, "
                  "over the last minute (this replica's scorer)", scorer.rate)
    metrics.gauge("labelassist_selector_ranking_builds", "Ranked queues built since start", lambda: queues.builds)
    metrics.gauge("labelassist_selector_rebuilds_waiting", "Ranked queues waiting to be rebuilt", queues.waiting)
    metrics.gauge("labelassist_selector_scoring_backlog", "Unlabelled samples the served U-Net has not "
                  "scored yet (counted at most every 30 s; NaN when no U-Net is served)", scorer.backlog)
    summaries = AgreementSummaries(store)
    metrics.gauge_family("labelassist_selector_project_agreement", "Mean matched-object F1 (IoU 0.5) between "
                         "annotators over the project's samples two or more labelled", ["project"],
                         lambda: summaries.read("agreement"))
    metrics.gauge_family("labelassist_selector_adjudication_waiting", "Samples two or more annotators labelled "
                         "whose newest version no reviewer accepted", ["project"], lambda: summaries.read("waiting"))
    metrics.gauge_family("labelassist_selector_annotators", "Annotators with a label of a sample two or more "
                         "labelled", ["project"], lambda: summaries.read("annotators"))
    # Per annotator by name would show every annotator's accuracy to whoever reads the
    # metrics port, which has no roles; the spread says whether someone needs help.
    metrics.gauge_family("labelassist_selector_annotator_accuracy", "Lowest, median and highest estimated "
                         "annotator accuracy (names: labelassist quality, project admins only)",
                         ["project", "statistic"], summaries.accuracy)
    metrics.gauge_family("labelassist_selector_class_agreement", "Agreement between annotators on object classes "
                         "(matched objects) and image classes beyond chance: Cohen's kappa of every pair pooled, "
                         "Krippendorff's alpha; absent where undefined", ["project", "of", "measure"],
                         summaries.class_agreement)


class AgreementSummaries:
    """Each project's :func:`project_summary`, measured again only when a
    label, review or gold label was added since, and not before
    ``COST_FACTOR`` times the last measuring's duration has passed:
    Prometheus scrapes every few seconds, and measuring reads every shared
    sample's labels."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._marker: tuple | None = None
        self._summaries: dict[str, dict] = {}
        self._next = 0.0

    def summaries(self) -> dict[str, dict]:
        with self._lock:
            try:
                marker = self._marker_now()
                if marker != self._marker and time.monotonic() >= self._next:
                    started = time.monotonic()
                    found = {project.name: project_summary(self.store, project)
                             for project in self.store.list_projects()}
                    self._summaries = {name: summary for name, summary in found.items() if summary is not None}
                    self._marker = marker
                    self._next = time.monotonic() + COST_FACTOR * (time.monotonic() - started)
            except Exception:  # a scrape that fails loses every gauge: keep the last summaries
                log.exception("measuring agreement for the metrics failed; the last values stand")
            return self._summaries

    def _marker_now(self) -> tuple:
        counted = [sa.func.max(labels.c.id), sa.func.count(labels.c.id)]
        with self.store.reader.connect() as connection:
            return (*connection.execute(sa.select(*counted)).one(),
                    connection.execute(sa.select(sa.func.max(reviews.c.id))).scalar(),
                    connection.execute(sa.select(sa.func.count()).select_from(gold_labels)).scalar(),
                    tuple(p.name for p in self.store.list_projects()))

    def read(self, key: str) -> dict[tuple[str, ...], float]:
        return {(name,): float(summary[key]) for name, summary in self.summaries().items()}

    def accuracy(self) -> dict[tuple[str, ...], float]:
        return {(name, statistic): summary[f"accuracy_{statistic}"] for name, summary in self.summaries().items()
                for statistic in STATISTICS}

    def class_agreement(self) -> dict[tuple[str, ...], float]:
        return {(name, unit, measure): float(summary[f"{unit}_{measure}"])
                for name, summary in self.summaries().items() for unit in ("objects", "images")
                for measure in ("kappa", "alpha") if summary.get(f"{unit}_{measure}") is not None}
