"""The best pre-label per project, by evidence: after each submitted label
the selector asks assist for each pre-label source on that sample (the
default classical pipeline, the U-Net that Triton serves, the project's own
assist settings when it has a method) and measures it against what the
annotator submitted: foreground Dice, and the share of objects matched at
IoU >= 0.5 (what the annotator did not have to fix). With enough labels the
best source becomes the project's default pre-label (when its settings name
no method). Runs on one background thread, on behalf of the submitter."""

from __future__ import annotations

import logging
import queue
import statistics
import threading
import time

import grpc
import numpy as np

from labelassist.imaging.measures import dice, instance_labels, match_objects
from labelassist.imaging.segmentation import DEFAULT_PRELABEL
from labelassist.proto.v1 import assist_pb2, common_pb2, selector_pb2
from labelassist.proto.wire.values import call_from_proto, call_to_proto
from labelassist.runtime.links.assist import AssistCalls, AssistLink
from labelassist.runtime.priority import BATCH_METADATA, lower_this_thread

log = logging.getLogger(__name__)

# Labels a source must have been measured on before it can become the default.
MIN_LABELS = 3
# Only the latest labels count: a model that improves should win on its recent work.
RECENT = 50
# Seconds for one source's pre-label and for the listing, on a machine busy with annotators' calls first.
PRELABEL_TIMEOUT, LIST_TIMEOUT = 300.0, 60.0
# What a selector asks of an assist service that cannot list its sources.
FALLBACK_SOURCES = {"classical": (None, "the classical default pipeline"),
                    "unet": (("unet", {}), "the U-Net Triton serves")}


def object_match_share(predicted: np.ndarray, label: np.ndarray) -> float:
    """Share of the label's objects that a predicted object matches at IoU >= 0.5."""
    truth, found = instance_labels(label), instance_labels(predicted)
    count = len([i for i in np.unique(truth) if i])
    if not count:
        return 1.0 if not found.any() else 0.0
    return len(match_objects(truth, found)) / count


def summary(evidence: dict) -> tuple[list[dict], str, str]:
    """Per source (labels, mean Dice, mean matched share, what it is, the
    method that runs it, whether assist still offers it), the best source
    ("" until an available one has :data:`MIN_LABELS` labels) and why, in words."""
    available = evidence.get("available")  # None: measured before sources were listed, all count
    rows = []
    for source, record in sorted(evidence.get("sources", {}).items()):
        if record["dice"]:
            rows.append({"source": source, "labels": len(record["dice"]), "dice": statistics.mean(record["dice"]),
                         "matched": statistics.mean(record["matched"]),
                         "description": record.get("description", ""), "method": record.get("method"),
                         "available": available is None or source in available})
    ready = [r for r in rows if r["labels"] >= MIN_LABELS and r["available"]]
    if not ready:
        return rows, "", ""
    best = max(ready, key=lambda r: (r["dice"], r["matched"]))
    others = ", ".join(f"{r['source']} {r['dice']:.3f}" for r in ready if r is not best)
    reason = (f"{best['source']}: mean Dice {best['dice']:.3f} against the last {best['labels']} submitted labels, "
              f"{100 * best['matched']:.0f} % of objects right" + (f" (vs {others})" if others else ""))
    return rows, best["source"], reason


def evidence_to_proto(row: dict) -> selector_pb2.PrelabelEvidence:
    return selector_pb2.PrelabelEvidence(source=row["source"], labels=row["labels"], dice=row["dice"],
                                         matched_objects=row["matched"], description=row["description"],
                                         available=row["available"])


def best_method(rows: list[dict], best: str) -> common_pb2.NamedCall | None:
    """The method that runs the best source (None for the classical pipeline and "settings")."""
    method = next((row["method"] for row in rows if row["source"] == best), None)
    return call_to_proto(*method) if method else None


class PrelabelEvidence:
    """Measures pre-label sources against submitted labels in the background."""

    def __init__(self, store, assist_address: str | None):
        self.store, self.assist = store, AssistLink(assist_address, "selector")
        self._queue: queue.Queue = queue.Queue(maxsize=1000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Only a selector that knows assist's address measures anything."""
        return bool(self.assist.address)

    def submitted(self, project, sample_id: int, mask: np.ndarray, token: str | None, method: str = "") -> None:
        """Queue a submitted label for measuring (see :attr:`enabled`)."""
        if not self.enabled:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="prelabel-evidence", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait((project, sample_id, mask, token, method))
        except queue.Full:
            log.warning("pre-label evidence queue full; label of sample %s not measured", sample_id)

    @staticmethod
    def _prelabel(assist: AssistCalls, image: np.ndarray, method, project: str) -> np.ndarray:
        """``method``'s pre-label of ``image``: the selector sends the image it
        holds, so assist does not fetch it back once per source."""
        params = assist_pb2.PrelabelParams(project=project if method == "settings" else "")
        if method is None:
            # The classical default pipeline, spelt out: without a method assist would run the sample's
            # project's own settings, which are measured as "settings".
            params.preprocess.extend(call_to_proto(*step) for step in DEFAULT_PRELABEL["preprocess"])
            params.method.CopyFrom(call_to_proto(*DEFAULT_PRELABEL["method"]))
            params.postprocess.extend(call_to_proto(*step) for step in DEFAULT_PRELABEL["postprocess"])
        elif method != "settings":
            params.method.CopyFrom(call_to_proto(*method))
        return assist.prelabel(image, params, PRELABEL_TIMEOUT)

    def _work(self) -> None:
        lower_this_thread()  # measuring is batch work: annotators' calls first
        while True:
            project, sample_id, mask, token, method = self._queue.get()
            try:
                self._measure(project, sample_id, mask, token, method)
            except Exception:  # noqa: BLE001 - evidence is best effort; the label is stored either way
                log.exception("measuring pre-labels against the label of sample %s failed", sample_id)

    @staticmethod
    def _sources(assist: AssistCalls) -> dict[str, tuple]:
        """Key -> (method, description) of every source assist offers now."""
        listed = assist.prelabel_sources(LIST_TIMEOUT)
        if listed is None:  # an assist that predates the listing
            return dict(FALLBACK_SOURCES)
        return {s.key: (call_from_proto(s.method) if s.method.name else None, s.description) for s in listed}

    def _measure(self, project, sample_id: int, mask: np.ndarray, token: str | None, method: str) -> None:
        results = {}
        image = self.store.blobs.get(self.store.sample(sample_id).image_blob)
        with self.assist.calls(token, metadata=[BATCH_METADATA]) as assist:
            sources = self._sources(assist)
            if method:
                sources["settings"] = ("settings", "the project's own assist settings")
            for source, (call, _) in sources.items():
                try:
                    predicted = self._prelabel(assist, image, call, project.name)
                except grpc.RpcError as error:
                    # A source that cannot answer now (no U-Net served, Triton down) is not measured.
                    log.info("pre-label source %s not measured on sample %s: %s", source, sample_id,
                             error.code().name)
                    continue
                results[source] = (dice(predicted > 0, mask > 0), object_match_share(predicted, mask))
        evidence = self.store.settings(project, "evidence") or {"sources": {}}
        for source, (score, matched) in results.items():
            record = evidence["sources"].setdefault(source, {"dice": [], "matched": []})
            record["dice"] = (record["dice"] + [float(score)])[-RECENT:]
            record["matched"] = (record["matched"] + [float(matched)])[-RECENT:]
            record["updated_at"] = time.time()
            call, record["description"] = sources[source]
            record["method"] = list(call) if isinstance(call, tuple) else None
        evidence["available"] = sorted(sources)
        if results:
            self.store.set_settings(project, "evidence", evidence)
