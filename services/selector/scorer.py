"""Background scoring: whenever Triton serves a new U-Net version, score the
unlabelled samples with it (Monte-Carlo dropout), a batch of samples per
request, those at the head of a ranked queue first, and cache the scores per
model version in the store. With several selector replicas on one
PostgreSQL, exactly one scores at a time: the one holding the scorer's
advisory lock, which the database frees when that replica dies."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from labelassist.runtime.priority import batch_work, lower_this_thread
from labelassist.selector.leader import Leadership
from labelassist.selector.scoring import image_scores
from labelassist.selector.store import Store

logger = logging.getLogger("labelassist.scorer")
BACKLOG_SECONDS = 30.0  # how stale the scoring backlog metric may be: counting scans the pool
SCORER_LOCK = 1  # its key in leader.LOCK_SPACE


class Scorer:
    def __init__(self, store: Store, triton_url: str | None, mc_samples: int = 8, interval: float = 2.0,
                 batch: int = 32):
        self.store = store
        self.triton = None
        if triton_url:
            from labelassist.models.triton import TritonClient  # tritonclient only with a Triton

            self.triton = TritonClient(triton_url)
        self.mc_samples = mc_samples
        self.interval = interval
        self.batch = batch
        self.version: int | None = None
        self._recent: deque[tuple[float, int]] = deque()  # (when, how many) over the last minute
        self.leadership = Leadership(store, SCORER_LOCK, "background scorer")
        self._stop = threading.Event()
        self._backlog = (float("nan"), -float("inf"))
        self._thread = threading.Thread(target=self._run, name="scorer", daemon=True)

    def start(self) -> Scorer:
        if self.triton is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def is_leader(self) -> bool:
        """Whether this replica is the one that scores: always on SQLite;
        on PostgreSQL while it holds the scorer's session advisory lock."""
        return self.leadership.held()

    def score_pending(self) -> int:
        """Score one batch of unscored samples with the served version; how many were scored."""
        version = self.triton.served_version()
        self.version = version
        if version is None:
            return 0
        pending = self.store.unscored_samples(version, self.batch)
        if pending:
            scored = self.triton.uncertainty([self.store.blobs.get(row.image_blob) for row in pending],
                                             self.mc_samples)
            self.store.save_scores(pending, version, [image_scores(maps) for maps, _ in scored],
                                   [embedding for _, embedding in scored])
            self._recent.append((time.monotonic(), len(pending)))
        return len(pending)

    def backlog(self) -> float:
        """Unlabelled samples the served version has not scored yet, counted
        at most every ``BACKLOG_SECONDS`` (NaN before the first count, or
        when no U-Net is served)."""
        now = time.monotonic()
        if self.version is not None and now - self._backlog[1] >= BACKLOG_SECONDS:
            try:
                self._backlog = (float(self.store.count_unscored(self.version)), now)
            except Exception:  # noqa: BLE001 - the database busy: the last count stands
                logger.debug("counting the scoring backlog failed", exc_info=True)
        return self._backlog[0] if self.version is not None else float("nan")

    def rate(self, window: float = 60.0) -> float:
        """Samples scored per second over the last ``window`` seconds of work."""
        now = time.monotonic()
        while self._recent and self._recent[0][0] < now - window:
            self._recent.popleft()
        if not self._recent:
            return 0.0
        span = max(now - self._recent[0][0], 1.0)
        return sum(count for _, count in self._recent) / span

    def _run(self) -> None:
        lower_this_thread()
        with batch_work():
            self._score_until_stopped()

    def _score_until_stopped(self) -> None:
        while not self._stop.is_set():
            try:
                if self.is_leader():
                    busy = self.score_pending()
                else:  # another replica scores; this one still reports the served version
                    self.version, busy = self.triton.served_version(), 0
            except Exception:  # noqa: BLE001 - Triton restarting, say; try again shortly
                logger.warning("scoring failed; retrying", exc_info=True)
                busy = 0
            if not busy:
                self._stop.wait(self.interval)
