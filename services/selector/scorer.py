"""Background scoring: whenever Triton serves a new U-Net version, score the
unlabelled samples with it (Monte-Carlo dropout), 16 at a time in batched
requests, and cache the scores per model version in the store."""

from __future__ import annotations

import logging
import threading

from labelassist.selector.scoring import image_scores
from labelassist.selector.store import Store

logger = logging.getLogger("labelassist.scorer")


class Scorer:
    def __init__(self, store: Store, triton_url: str | None, mc_samples: int = 8, interval: float = 2.0):
        self.store = store
        self.triton = None
        if triton_url:
            from labelassist.models.triton import TritonClient  # tritonclient only with a Triton

            self.triton = TritonClient(triton_url)
        self.mc_samples = mc_samples
        self.interval = interval
        self.version: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scorer", daemon=True)

    def start(self) -> Scorer:
        if self.triton is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def score_pending(self) -> int:
        """Score one batch of unscored samples with the served version; how many were scored."""
        version = self.triton.served_version()
        self.version = version
        if version is None:
            return 0
        pending = self.store.unscored_samples(version)
        if pending:
            scored = self.triton.uncertainty([self.store.blobs.get(row.image_blob) for row in pending],
                                             self.mc_samples)
            for row, (maps, embedding) in zip(pending, scored):
                self.store.save_scores(row.id, version, image_scores(maps), embedding)
        return len(pending)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.score_pending()
            except Exception:  # noqa: BLE001 - Triton restarting, say; try again shortly
                logger.warning("scoring failed; retrying", exc_info=True)
                busy = 0
            if not busy:
                self._stop.wait(self.interval)
