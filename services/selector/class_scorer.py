"""Background class scoring: for each project with a class schema that
uses a classification strategy (its default, or one a caller asked for), ask
assist for the class uncertainty of its unlabelled samples (assist
pre-labels each sample itself and runs the project's class model on those
objects), those at the head of a ranked queue first, and keep the summary
per sample and class model version, so the classification strategies rank
through the ranked queues like the others.

Assist trains a project's class model again when its labels change; so
whenever the project's labels, reviews or class schema change here, the
scorer asks first for one sample, whose answer names the class model
version now (a new version scores every sample again). With several
selector replicas on one PostgreSQL, exactly one scores at a time (its own
advisory lock, apart from the U-Net scorer's)."""

from __future__ import annotations

import logging
import threading

import grpc
import numpy as np

from labelassist.runtime.auth import caller_token
from labelassist.runtime.links.assist import AssistLink
from labelassist.runtime.priority import BATCH_METADATA, batch_work, lower_this_thread
from labelassist.selector.class_score_records import ClassScoreRecords, ClassScoring, has_classes
from labelassist.selector.leader import Leadership
from labelassist.selector.records import Project
from labelassist.selector.store import Store
from labelassist.selector.strategies import STRATEGIES

logger = logging.getLogger("labelassist.class_scorer")
CLASS_SCORER_LOCK = 2  # its key in leader.LOCK_SPACE
CALL_TIMEOUT = 300.0  # one sample's pre-label and class model, behind annotators' calls


class ClassScorer:
    """Scores the unlabelled samples of projects with classes, ``batch`` a project per round."""

    def __init__(self, store: Store, assist_address: str | None, interval: float = 2.0, batch: int = 16):
        self.store = store
        self.records = ClassScoreRecords(store)
        self.assist = AssistLink(assist_address, "selector")
        self.interval, self.batch = interval, batch
        self.leadership = Leadership(store, CLASS_SCORER_LOCK, "background class scorer")
        self._tokens: dict[int, str | None] = {}  # per project, whose rights the scorer asks assist with
        self._stop = threading.Event()
        self._wake = threading.Event()  # a project newly wanted: score it now, not after the interval
        self._thread = threading.Thread(target=self._run, name="class-scorer", daemon=True)

    def start(self) -> ClassScorer:
        if self.assist.address:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wanted(self, project: Project) -> None:
        """A caller asked for a class strategy on ``project``: score it from
        now on, with that caller's rights."""
        self._tokens[project.id] = caller_token()

    def score_pending(self) -> int:
        """One round: a batch of unscored samples of each project with
        classes that uses a class strategy (its default, or one a caller
        asked for); how many were scored."""
        schemas = self.store.all_settings("classes")
        scored = 0
        for project in self.store.list_projects():
            uses = project.id in self._tokens or "class_posteriors" in STRATEGIES.get(project.strategy).needs
            if uses and has_classes(schemas.get(project.id) or {}):
                scored += self.score_project(project)
        return scored

    def score_project(self, project: Project) -> int:
        """Score a batch of the project's unscored samples (after one sample
        that names the class model version, when the labels changed)."""
        labels_key = self.records.labels_key(project)
        state = self.records.state(project)
        scored = 0
        if state is None or state.labels_key != labels_key:
            probe = self.records.unscored(project, -1, 1)  # any unlabelled sample: the head of a queue first
            if not probe:
                return 0
            state, scored = self._ask(project, probe, labels_key, state), 1
        if state is None or not state.model_version:
            return scored
        pending = self.records.unscored(project, state.model_version, self.batch)
        if pending:
            self._ask(project, pending, labels_key, state)
        return scored + len(pending)

    def _ask(self, project: Project, rows, labels_key: str, state: ClassScoring | None) -> ClassScoring | None:
        """Ask assist for each of ``rows``; keep the answers of the class
        model version now (set as the project's when it is new)."""
        kept, values, expected = [], [], []
        with self.assist.calls(self._tokens.get(project.id), metadata=[BATCH_METADATA]) as assist:
            for row in rows:
                try:
                    answer = assist.class_uncertainty(self.store.blobs.get(row.image_blob), project.name,
                                                      CALL_TIMEOUT)
                except grpc.RpcError as error:
                    if error.code() not in (grpc.StatusCode.FAILED_PRECONDITION,
                                            grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
                        raise
                    # No class model yet (too few labels with classes), or no right to ask: wait for new labels.
                    self.records.set_model(project, 0, "", (), labels_key, error.details() or "")
                    return self.records.state(project)
                summary = answer.uncertainty
                if not summary.kind:
                    self.records.set_model(project, 0, "", (), labels_key, "the class model gives no posterior "
                                           "to rank by (multi-label image classes only)")
                    return self.records.state(project)
                if state is None or (state.model_version, state.classes, state.labels_key) != \
                        (int(answer.model_version), tuple(summary.classes), labels_key):
                    self._save(project, state, kept, values, expected)
                    kept, values, expected = [], [], []
                    self.records.set_model(project, int(answer.model_version), summary.kind, summary.classes,
                                           labels_key)
                    state = self.records.state(project)
                    logger.info("scoring the samples of %s with class model %s", project.name, answer.model)
                kept.append(row)
                values.append(np.asarray(summary.scores, np.float32))
                expected.append(np.asarray(summary.expected_counts, np.float32))
        self._save(project, state, kept, values, expected)
        return self.records.state(project)

    def _save(self, project: Project, state: ClassScoring | None, rows, values, expected) -> None:
        if state is not None and rows:
            self.records.save(project, state.model_version, rows, values, expected)

    def _run(self) -> None:
        lower_this_thread()
        with batch_work():
            while not self._stop.is_set():
                try:
                    busy = self.score_pending() if self.leadership.held() else 0
                except Exception:  # noqa: BLE001 - assist restarting, say; try again shortly
                    logger.warning("class scoring failed; retrying", exc_info=True)
                    busy = 0
                if not busy:
                    self._wake.wait(self.interval)
                    self._wake.clear()


__all__ = ["ClassScorer", "CLASS_SCORER_LOCK"]
