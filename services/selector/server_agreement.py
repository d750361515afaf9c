"""The selector's calls on projects several annotators label: overlap
settings, consensus, the adjudication queue and annotator quality, and
which label of a shared sample a caller is shown. Decode, check the
caller's role, call :mod:`agreement_records` or :mod:`overlap`, encode."""

from __future__ import annotations

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.runtime.auth import annotator_name, caller, require
from labelassist.runtime.errors import PermissionDeniedError
from labelassist.selector import agreement_over_time, agreement_records, overlap
from labelassist.selector.class_schema import classes_to_proto
from labelassist.selector.records import DERIVED_ORIGINS, ORIGINS
from labelassist.selector.server_admin import actor
from labelassist.selector.store import SampleRow, Store

ORIGIN_TO_PROTO = {name: pb.LabelOrigin.Value(f"LABEL_ORIGIN_{name.upper()}") for name in ORIGINS}
ORIGIN_FROM_PROTO = {value: name for name, value in ORIGIN_TO_PROTO.items()}


def version_to_proto(version) -> pb.LabelVersion:
    return pb.LabelVersion(sample_id=version.sample_id, version=version.version, annotator=version.annotator,
                           origin=ORIGIN_TO_PROTO[version.origin], checksum=version.checksum,
                           created_at=version.created_at,
                           sources=[pb.LabelSource(version=v, annotator=a, weight=w) for v, a, w in version.sources],
                           classes=classes_to_proto(version.classes, pb))


def overlap_to_proto(settings: dict, gold_samples: int) -> pb.OverlapSettings:
    return pb.OverlapSettings(annotators=int(settings.get("annotators", 1)), share=float(settings.get("share", 1.0)),
                              gold_samples=gold_samples)


def kinds_to_proto(kinds) -> pb.DisagreementKinds:
    values = kinds.as_dict()
    values.pop("matched")
    return pb.DisagreementKinds(**values)


def class_agreement_to_proto(agreement) -> pb.ClassAgreement:
    """An :class:`~labelassist.imaging.class_agreement.ClassAgreement`; None values stay unset."""
    def present(**values) -> dict:
        return {k: v for k, v in values.items() if v is not None}

    return pb.ClassAgreement(
        compared=agreement.compared, **present(observed=agreement.observed, kappa=agreement.kappa,
                                               alpha=agreement.alpha),
        classes=[pb.ClassScore(name=c.name, objects=c.objects, **present(agreement_f1=c.agreement_f1,
                                                                          detection_f1=c.detection_f1))
                 for c in agreement.classes],
        confusion=[pb.ClassConfusion(first=a, second=b, count=n) for a, b, n in agreement.confusion])


class AgreementCalls:
    """SetOverlap, BuildConsensus, ListAdjudication, Adjudicate,
    AnnotatorQuality and AgreementOverTime, for the servicer; ``project_message`` encodes a project."""

    def __init__(self, store: Store, project_message):
        self.store, self.project_message = store, project_message

    def set_overlap(self, request: pb.SetOverlapRequest) -> pb.SetOverlapResponse:
        require("configure", request.project)
        project = self.store.project(request.project)
        settings = overlap.check_overlap(request.overlap.annotators or 1, request.overlap.share)
        with self.store.engine.begin() as connection:
            self.store.lock_project(connection, project.id)
            changed = overlap.apply_overlap(connection, project.id, settings)
        self.store.set_settings(project, "overlap", settings)
        return pb.SetOverlapResponse(project=self.project_message(project), changed=changed)

    def build_consensus(self, request: pb.BuildConsensusRequest) -> pb.BuildConsensusResponse:
        require("review", request.project)
        project = self.store.project(request.project)
        built, unchanged, weights, agreement = agreement_records.build_consensus(self.store, project,
                                                                                 list(request.sample_ids))
        return pb.BuildConsensusResponse(built=[version_to_proto(v) for v in built], unchanged=unchanged, weights=[
            pb.AnnotatorWeight(annotator=name, weight=weight, agreement=agreement.get(name, 0.0))
            for name, weight in sorted(weights.items())])

    def list_adjudication(self, request: pb.ListAdjudicationRequest) -> pb.ListAdjudicationResponse:
        require("review", request.project)
        project = self.store.project(request.project)
        items = agreement_records.adjudication_queue(self.store, project, request.limit or 100,
                                                     request.tolerance or agreement_records.DEFAULT_TOLERANCE)
        reviews = self.store.latest_reviews({item["sample_id"]: item["newest_version"] for item in items})
        return pb.ListAdjudicationResponse(items=[pb.AdjudicationItem(
            sample_id=item["sample_id"], stem=item["stem"], disagreement=item["disagreement"],
            mean_f1=item["mean_f1"], mean_boundary_f1=item["mean_boundary_f1"],
            labels=[version_to_proto(v) for v in item["labels"]], consensus_version=item["consensus_version"],
            review=reviews.get(item["sample_id"], {}).get("verdict", ""),
            class_disagreement=item["class_disagreement"]) for item in items])

    def adjudicate(self, request: pb.AdjudicateRequest) -> pb.AdjudicateResponse:
        row = self.store.sample(request.sample_id)
        require("review", self.store.project_name(row.project_id))
        chosen = agreement_records.adjudicate(self.store, row.id, int(request.version),
                                              annotator_name(request.reviewer) or actor(), request.comment)
        return pb.AdjudicateResponse(label=version_to_proto(chosen))

    def annotator_quality(self, request: pb.AnnotatorQualityRequest) -> pb.AnnotatorQualityResponse:
        project = self.store.project(request.project)
        annotators = self._visible_annotators(project.name, request.annotator)
        rows = agreement_records.annotator_quality(self.store, project,
                                                   request.tolerance or agreement_records.DEFAULT_TOLERANCE,
                                                   annotators)
        return pb.AnnotatorQualityResponse(annotators=[pb.AnnotatorQuality(
            annotator=r["annotator"], accuracy=r["accuracy"], samples=r["samples"],
            consensus_samples=r["consensus_samples"], consensus_f1=r["consensus_f1"],
            consensus_boundary_f1=r["consensus_boundary_f1"], gold_samples=r["gold_samples"], gold_f1=r["gold_f1"],
            gold_boundary_f1=r["gold_boundary_f1"], accepted=r["accepted"], rejected=r["rejected"],
            kinds=kinds_to_proto(r["kinds"]), weight=r["weight"], classes=class_agreement_to_proto(r["classes"]),
            image_classes=class_agreement_to_proto(r["image_classes"])) for r in rows])

    def agreement_over_time(self, request: pb.AgreementOverTimeRequest) -> pb.AgreementOverTimeResponse:
        project = self.store.project(request.project)
        annotators = self._visible_annotators(project.name, request.annotator)
        window, size = agreement_over_time.check_window(request.window, request.labels_per_window)
        whole, each = agreement_over_time.agreement_over_time(
            self.store, project, window, size, request.tolerance or agreement_records.DEFAULT_TOLERANCE, annotators)
        return pb.AgreementOverTimeResponse(window=window, project=[pb.AgreementWindow(**w) for w in whole],
                                            annotators=[pb.AnnotatorAgreementSeries(
                                                annotator=name, windows=[pb.AgreementWindow(**w) for w in series])
                                                for name, series in each.items()])

    @staticmethod
    def _visible_annotators(project: str, asked: str) -> list[str]:
        """Whose quality the caller may see: anyone's for the project's
        admins (and without authentication), else only their own."""
        identity = caller()
        if identity is None or identity.may("configure", project):
            return [asked] if asked else []
        require("fetch", project)
        if asked and asked != identity.name:
            raise PermissionDeniedError(f"'{identity.name}' may see only their own quality and agreement in project "
                                        f"'{project}'; the project's admins see everyone's")
        return [identity.name]

    def label_shown(self, row: SampleRow, project: str, annotator: str, version: int):
        """The (version, mask) GetSample sends as "label", or None: of a
        sample several annotators label, a caller who may not read labels
        (or one asking as ``annotator``) sees only their own newest label, so
        each annotator's label stays their own."""
        identity = caller()
        blind = bool(annotator) or (identity is not None and not identity.may("read_labels", project))
        if not blind or not self.store.shared_sample(row.id):
            return self.store.latest_label(row.id, version)
        name = annotator_name(annotator)
        own = [v for v in self.store.label_history(row.id) if v.annotator == name and v.origin not in DERIVED_ORIGINS]
        if version and version not in {v.version for v in own}:
            raise PermissionDeniedError(f"label version {version} of sample {row.id} is not {name!r}'s: several "
                                        "annotators label this sample, and each sees only their own label")
        chosen = next((v for v in own if v.version == version), None) if version else (own[-1] if own else None)
        return None if chosen is None else (chosen, self.store.blobs.get(chosen.checksum))
