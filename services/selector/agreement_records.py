"""A project's labels by several annotators, read from the store and
measured: the consensus of each sample stored as a label version naming its
sources, the adjudication queue (most disputed first), and each annotator's
estimated quality. The measures are the imaging floor's; this module reads
and writes the store."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from labelassist.imaging.agreement import pair_agreement
from labelassist.imaging.annotator_quality import DisagreementKinds, disagreement_kinds
from labelassist.imaging.class_agreement import (ClassCounts, class_agreement, class_counts, image_class_agreement,
                                                 pooled_class_agreement)
from labelassist.imaging.consensus import ProjectConsensus, consensus_classes, match_objects, project_consensus
from labelassist.runtime.errors import NotFoundError
from labelassist.selector.records import DERIVED_ORIGINS, LabelVersion, Project
from labelassist.selector.schema import reviews
from labelassist.selector.store import Store, row_id

DEFAULT_TOLERANCE = 2.0
CONSENSUS = "consensus"


@dataclass
class SampleLabels:
    """One sample's newest own label of each annotator, and its history."""

    sample_id: int
    stem: str
    history: list[LabelVersion]
    own: dict[str, LabelVersion]
    masks: dict[str, np.ndarray] = field(default_factory=dict)


def annotator_labels(store: Store, project: Project, sample_ids: Sequence[int] = (), least: int = 2
                     ) -> list[SampleLabels]:
    """The project's samples labelled by at least ``least`` annotators (of
    ``sample_ids`` when given), with each annotator's newest own label."""
    if sample_ids:
        rows = [store.sample(row_id(i)) for i in sample_ids]
        foreign = [row.id for row in rows if row.project_id != project.id]
        if foreign:
            raise NotFoundError(f"project {project.name!r} has no sample {', '.join(map(str, foreign))}")
    else:
        rows = list(store.samples(project, labeled_only=True))
    found = []
    for row in rows:
        history = store.label_history(row.id)
        own = {version.annotator: version for version in history if version.origin not in DERIVED_ORIGINS}
        if len(own) >= least:
            found.append(SampleLabels(row.id, row.stem, history, own,
                                      {name: store.blobs.get(v.checksum) for name, v in own.items()}))
    return found


def build_consensus(store: Store, project: Project, sample_ids: Sequence[int] = ()
                    ) -> tuple[list[LabelVersion], int, dict[str, float], dict[str, float]]:
    """Merge each sample's annotators' labels into a consensus version.

    Each annotator's record is estimated over every sample of the project
    two or more annotators labelled (:func:`~labelassist.imaging.consensus.project_consensus`);
    the consensus is stored for ``sample_ids`` (all such samples when empty).

    Returns
    -------
    built : list of LabelVersion
        The consensus versions stored now.
    unchanged : int
        Samples whose newest version is already the same consensus.
    weights, agreement : dict
        Each annotator's weight and mean matched F1 against the consensus.
    """
    shared = annotator_labels(store, project)
    found = project_consensus([s.masks for s in shared])
    weights, agreement, merged = found.weights, found.agreement([s.masks for s in shared]), found.merged
    wanted = {row_id(i) for i in sample_ids}
    if wanted:
        missing = wanted - {s.sample_id for s in shared}
        if missing:
            annotator_labels(store, project, sorted(missing), least=0)  # NOT_FOUND for another project's
            raise ValueError(f"sample(s) {', '.join(map(str, sorted(missing)))} have fewer than two annotators' "
                             "labels: nothing to merge yet")
    built, unchanged = [], 0
    for sample, consensus in zip(shared, merged):
        if wanted and sample.sample_id not in wanted:
            continue
        sources = {v.version: weights[name] for name, v in sample.own.items()}
        names = sorted(sample.masks)
        classes = consensus_classes(consensus, [sample.masks[n] for n in names],
                                    [sample.own[n].classes for n in names], [weights[n] for n in names])
        version, new = store.add_derived_label(sample.sample_id, CONSENSUS, consensus, CONSENSUS, sources,
                                               classes=classes)
        if new:
            built.append(version)
        else:
            unchanged += 1
    return built, unchanged, weights, agreement


def adjudication_queue(store: Store, project: Project, limit: int = 100, tolerance: float = DEFAULT_TOLERANCE
                       ) -> list[dict]:
    """The samples several annotators labelled, most disputed first: by the
    largest share of the objects anyone drew that one annotator left out
    (:meth:`~labelassist.imaging.consensus.MatchedObjects.left_out`), then by
    the lower mean matched-object F1 and mean boundary F1 over pairs."""
    if not 1 <= limit <= 10_000:
        raise ValueError(f"'limit' must be 1 to 10000, got {limit}")
    items = []
    for sample in annotator_labels(store, project):
        pairs = list(itertools.combinations(sorted(sample.masks), 2))
        measured = [pair_agreement(sample.masks[a], sample.masks[b], tolerance) for a, b in pairs]
        mean_f1 = float(np.mean([m.f1 for m in measured]))
        consensus = [v.version for v in sample.history if v.origin == CONSENSUS]
        disagreement = match_objects([sample.masks[name] for name in sorted(sample.masks)]).left_out()
        items.append({"sample_id": sample.sample_id, "stem": sample.stem, "disagreement": disagreement,
                      "class_disagreement": class_disagreement(sample, pairs),
                      "mean_f1": mean_f1, "mean_boundary_f1": float(np.mean([m.boundary_f1 for m in measured])),
                      "labels": sorted(sample.own.values(), key=lambda v: v.version),
                      "consensus_version": consensus[-1] if consensus else 0,
                      "newest_version": sample.history[-1].version})
    items.sort(key=lambda item: (-item["disagreement"], -item["class_disagreement"], item["mean_f1"],
                                 item["mean_boundary_f1"], item["sample_id"]))
    return items[:limit]


def class_disagreement(sample: SampleLabels, pairs: Sequence[tuple[str, str]]) -> float:
    """The share of class decisions on which a pair of the sample's
    annotators differ: each object both drew and, where given, the image's
    classes; 0 without classes."""
    counts = ClassCounts()
    images = []
    for a, b in pairs:
        first, second = sample.own[a].classes, sample.own[b].classes
        if first.get("objects") or second.get("objects"):
            counts += class_counts(sample.masks[a], first, sample.masks[b], second)
        if first.get("image") or second.get("image"):
            images.append(sorted(first.get("image", [])) != sorted(second.get("image", [])))
    compared = sum(counts.confusion.values()) + len(images)
    differ = sum(n for (x, y), n in counts.confusion.items() if x != y) + sum(images)
    return differ / compared if compared else 0.0


def adjudicate(store: Store, sample_id: int, version: int, reviewer: str, comment: str = "") -> LabelVersion:
    """The reviewer's choice among the sample's versions becomes its newest
    (a copy, origin "adjudicated", naming the chosen one, unless it is the
    newest already) and is accepted."""
    history = store.label_history(row_id(sample_id))
    if not history:
        raise NotFoundError(f"sample {sample_id} has no label versions to choose from")
    if not 1 <= version <= len(history):
        raise NotFoundError(f"sample {sample_id} has label versions 1 to {len(history)}, not {version}")
    chosen = history[version - 1]
    if version != history[-1].version:
        chosen, _ = store.add_derived_label(sample_id, reviewer, store.blobs.get(chosen.checksum), "adjudicated",
                                            {version: 1.0}, classes=chosen.classes)
    store.review_label(sample_id, reviewer, "accepted", comment, chosen.version)
    return chosen


def verdicts(store: Store, sample_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    """The newest verdict on each reviewed (sample, version) of the samples."""
    found: dict[tuple[int, int], str] = {}
    with store.reader.connect() as connection:
        for start in range(0, len(sample_ids), 500):
            for row in connection.execute(sa.select(reviews).where(reviews.c.sample_id.in_(
                    list(sample_ids[start:start + 500]))).order_by(reviews.c.id)):
                found[(row.sample_id, row.version)] = row.verdict
    return found


def annotator_quality(store: Store, project: Project, tolerance: float = DEFAULT_TOLERANCE,
                      annotators: Sequence[str] = ()) -> list[dict]:
    """Each annotator's estimated accuracy, with what it rests on.

    Against gold labels where a sample has one, else against a reviewer's
    adjudicated choice, else against the consensus of the sample's other
    annotators (so that nobody's own label vouches for it; records as in
    :func:`build_consensus`): matched-object F1, boundary F1 and the kinds
    of disagreement. Reviewers' verdicts on their versions (an adjudicated
    pick counts as accepted) give an acceptance rate. The accuracy is the
    mean of what exists of: the mean of F1 and boundary F1 against gold,
    the same against consensus, and the acceptance rate.
    """
    everyone = annotator_labels(store, project, least=1)
    shared = [s for s in everyone if len(s.own) >= 2]
    found = project_consensus([s.masks for s in shared])
    position = {s.sample_id: index for index, s in enumerate(shared)}
    gold = store.gold_checksums(project.id)
    verdict = verdicts(store, [s.sample_id for s in everyone])
    for sample in everyone:
        for version in sample.history:
            if version.origin == "adjudicated":
                for source, _, _ in version.sources:
                    verdict.setdefault((sample.sample_id, source), "accepted")
    table: dict[str, dict] = {}
    for sample in everyone:
        settled, settled_classes = _settled(store, sample, gold)
        for name, version in sample.own.items():
            if annotators and name not in annotators:
                continue
            entry = table.setdefault(name, {"annotator": name, "samples": 0, "consensus": [], "gold": [],
                                            "accepted": 0, "rejected": 0, "kinds": DisagreementKinds(),
                                            "classes": ClassCounts(), "images": []})
            entry["samples"] += 1
            said = verdict.get((sample.sample_id, version.version))
            if said in ("accepted", "rejected"):
                entry[said] += 1
            reference, classes = (settled, settled_classes) if settled is not None else (
                _without(found, position[sample.sample_id], sample, name) if sample.sample_id in position
                else (None, None))
            if reference is None:
                continue
            if classes is not None and (version.classes or classes):
                entry["classes"] += class_counts(sample.masks[name], version.classes, reference, classes)
                if version.classes.get("image") or classes.get("image"):
                    entry["images"].append([version.classes.get("image", []), classes.get("image", [])])
            measured = pair_agreement(sample.masks[name], reference, tolerance)
            entry["gold" if sample.sample_id in gold else "consensus"].append((measured.f1, measured.boundary_f1))
            entry["kinds"] = entry["kinds"].add(disagreement_kinds(sample.masks[name], reference))
    return [_summary(entry, found.weights.get(entry["annotator"], 0.0)) for _, entry in sorted(table.items())]


def project_summary(store: Store, project: Project, tolerance: float = DEFAULT_TOLERANCE) -> dict | None:
    """What a dashboard shows of a project several annotators label, or None
    when no sample has two annotators' labels: "agreement" (mean over those
    samples of each one's mean matched-object F1 over pairs), "waiting" (of
    them, those whose newest version no reviewer accepted: the adjudication
    still to do), "annotators" and the lowest, median and highest estimated
    accuracy ("accuracy_min", ...), without names."""
    shared = annotator_labels(store, project)
    if not shared:
        return None
    agreement = float(np.mean([np.mean([pair_agreement(s.masks[a], s.masks[b], tolerance).f1
                                        for a, b in itertools.combinations(sorted(s.masks), 2)]) for s in shared]))
    reviewed = {}
    for start in range(0, len(shared), 500):
        reviewed.update(store.latest_reviews({s.sample_id: s.history[-1].version for s in shared[start:start + 500]}))
    waiting = sum(1 for s in shared if reviewed.get(s.sample_id, {}).get("verdict") != "accepted")
    accuracy = [row["accuracy"] for row in annotator_quality(store, project, tolerance)]
    summary = {"agreement": agreement, "waiting": waiting, "annotators": len(accuracy),
               "accuracy_min": float(np.min(accuracy)), "accuracy_median": float(np.median(accuracy)),
               "accuracy_max": float(np.max(accuracy))}
    classified = [s for s in shared if any(v.classes for v in s.own.values())]
    if classified:
        found = pooled_class_agreement(([s.masks[n] for n in sorted(s.masks)],
                                        [s.own[n].classes for n in sorted(s.masks)]) for s in classified)
        for unit, measured in zip(("objects", "images"), found):
            summary.update({f"{unit}_kappa": measured.kappa, f"{unit}_alpha": measured.alpha})
    return summary


def _settled(store: Store, sample: SampleLabels, gold: dict[int, str]) -> tuple[np.ndarray | None, dict | None]:
    """The sample's gold label, else a reviewer's adjudicated choice: what
    outranks any consensus as the reference for its annotators; with the
    adjudicated choice's classes (a gold label carries none to compare)."""
    if sample.sample_id in gold:
        return store.blobs.get(gold[sample.sample_id]), None
    settled = [v for v in sample.history if v.origin == "adjudicated"]
    return (store.blobs.get(settled[-1].checksum), settled[-1].classes) if settled else (None, None)


def _without(found: ProjectConsensus, index: int, sample: SampleLabels, name: str) -> tuple[np.ndarray, dict]:
    """The consensus of the sample's annotators other than ``name`` and its
    classes, voted by those annotators."""
    reference = found.without(index, name)
    others = sorted(n for n in sample.masks if n != name)
    if not any(sample.own[n].classes for n in others):
        return reference, {}
    classes = consensus_classes(reference, [sample.masks[n] for n in others], [sample.own[n].classes for n in others],
                                [found.voters[n].weight for n in others])
    return reference, classes


def _summary(entry: dict, weight: float) -> dict:
    parts = {}
    for kind in ("consensus", "gold"):
        values = np.array(entry[kind]).reshape(-1, 2)
        parts[f"{kind}_samples"] = len(values)
        parts[f"{kind}_f1"] = float(values[:, 0].mean()) if len(values) else 0.0
        parts[f"{kind}_boundary_f1"] = float(values[:, 1].mean()) if len(values) else 0.0
    evidence = [(parts[f"{k}_f1"] + parts[f"{k}_boundary_f1"]) / 2 for k in ("gold", "consensus")
                if parts[f"{k}_samples"]]
    reviewed = entry["accepted"] + entry["rejected"]
    if reviewed:
        evidence.append(entry["accepted"] / reviewed)
    return {"annotator": entry["annotator"], "accuracy": float(np.mean(evidence)) if evidence else 0.0,
            "samples": entry["samples"], "accepted": entry["accepted"], "rejected": entry["rejected"],
            "kinds": entry["kinds"], "weight": weight, "classes": class_agreement(entry["classes"]),
            "image_classes": image_class_agreement(entry["images"]), **parts}


__all__ = ["SampleLabels", "adjudicate", "adjudication_queue", "annotator_labels", "annotator_quality",
           "build_consensus", "class_disagreement", "project_summary", "verdicts"]
