"""The selector's Prometheus gauges (``--metrics-port``): its scorer and
ranked queues, read when Prometheus scrapes."""

from __future__ import annotations

from labelassist.selector.ranked_queue import RankedQueues
from labelassist.selector.scorer import Scorer
from labelassist.selector.store import Store


def register_gauges(metrics, scorer: Scorer, queues: RankedQueues, store: Store) -> None:
    """Add the selector's gauges to a service's metrics."""
    metrics.gauge("labelassist_selector_scored_per_second", "Samples the U-Net scored per second, "
                  "over the last minute (this replica's scorer)", scorer.rate)
    metrics.gauge("labelassist_selector_ranking_builds", "Ranked queues built since start", lambda: queues.builds)
    metrics.gauge("labelassist_selector_rebuilds_waiting", "Ranked queues waiting to be rebuilt", queues.waiting)
    metrics.gauge("labelassist_selector_scoring_backlog", "Unlabelled samples the served U-Net has not "
                  "scored yet (counted at most every 30 s; NaN when no U-Net is served)", scorer.backlog)
