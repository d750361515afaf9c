"""The selector's calls on projects several annotators label: overlap
settings, consensus, adjudication and annotator quality
(``client.agreement``; the client's top-level methods of the same names
are shortcuts)."""

from __future__ import annotations

from collections.abc import Iterable

from labelassist.client.results import AnnotatorClassAgreement, ClassAgreement
from labelassist.client.transport import Facade
from labelassist.proto.v1 import selector_pb2


class Agreement(Facade):
    """Overlap, consensus, adjudication and annotator quality, on the selector."""

    service = "selector"

    def set_overlap(self, project: str, annotators: int, share: float = 0.0) -> selector_pb2.SetOverlapResponse:
        """Have several different annotators label a project's samples (admins).

        Parameters
        ----------
        project : str
            The project.
        annotators : int
            Different annotators per shared sample (1 to 10; 1: each sample once).
        share : float
            The share of samples that are shared, chosen by their names
            (e.g. 0.1 for one in ten; 0 for all). Gold samples always are.

        Returns
        -------
        SetOverlapResponse
            ``.project`` with its ``overlap`` settings and ``.changed``, the
            samples whose wanted number of annotators changed.
        """
        return self.transport.unary(self.stub.SetOverlap, selector_pb2.SetOverlapRequest(
            project=project, overlap=selector_pb2.OverlapSettings(annotators=annotators, share=share)))

    def build_consensus(self, project: str, sample_ids: Iterable[int] = ()) -> selector_pb2.BuildConsensusResponse:
        """Merge each sample's annotators' newest labels into a consensus
        label version that names its sources (reviewers and admins).

        Parameters
        ----------
        project : str
            The project.
        sample_ids : iterable of int
            The samples to merge; every sample two or more annotators
            labelled when empty.

        Returns
        -------
        BuildConsensusResponse
            ``.built`` (the new versions, origin CONSENSUS, each with its
            ``sources``), ``.unchanged`` and ``.weights`` (each annotator's
            weight and agreement with the consensus).
        """
        return self.transport.unary(self.stub.BuildConsensus, selector_pb2.BuildConsensusRequest(
            project=project, sample_ids=list(sample_ids)))

    def adjudication_queue(self, project: str, limit: int = 100, tolerance: float = 0.0
                           ) -> list[selector_pb2.AdjudicationItem]:
        """The samples several annotators labelled, the most disputed first
        (reviewers and admins).

        Parameters
        ----------
        project : str
            The project.
        limit : int
            At most this many samples.
        tolerance : float
            Outline tolerance in pixels for boundary F1 (0: 2).

        Returns
        -------
        list of AdjudicationItem
            Each with its ``disagreement`` (1 - mean matched-object F1),
            each annotator's label version and the consensus version.
        """
        return list(self.transport.unary(self.stub.ListAdjudication, selector_pb2.ListAdjudicationRequest(
            project=project, limit=limit, tolerance=tolerance)).items)

    def adjudicate(self, sample_id: int, version: int, reviewer: str = "", comment: str = ""
                   ) -> selector_pb2.LabelVersion:
        """Settle a disputed sample: the chosen version (the consensus or
        one annotator's) becomes the newest and is accepted (reviewers and
        admins). To settle with an edit, submit it and accept it with
        :meth:`review_label`.

        Parameters
        ----------
        sample_id : int
            The sample.
        version : int
            The label version chosen.
        reviewer, comment : str
            Who decides (the token's identity when authentication is on), and why.

        Returns
        -------
        LabelVersion
            The sample's newest version now.
        """
        return self.transport.unary(self.stub.Adjudicate, selector_pb2.AdjudicateRequest(
            sample_id=sample_id, version=version, reviewer=reviewer, comment=comment)).label

    def annotator_quality(self, project: str, annotator: str = "", tolerance: float = 0.0
                          ) -> list[selector_pb2.AnnotatorQuality]:
        """Each annotator's estimated accuracy and kinds of disagreement.
        A project's admins see everyone; anyone else only themselves.

        Parameters
        ----------
        project : str
            The project.
        annotator : str
            One annotator; empty for all the caller may see.
        tolerance : float
            Outline tolerance in pixels for boundary F1 (0: 2).

        Returns
        -------
        list of AnnotatorQuality
        """
        return list(self.transport.unary(self.stub.AnnotatorQuality, selector_pb2.AnnotatorQualityRequest(
            project=project, annotator=annotator, tolerance=tolerance)).annotators)

    def class_agreement(self, project: str, annotator: str = "") -> list[AnnotatorClassAgreement]:
        """Each annotator's object and image classes against the reference
        (the consensus of the others, or an adjudicated choice): Cohen's
        kappa, Krippendorff's alpha, per-class agreement and detection F1,
        and the confusion. A project's admins see everyone; anyone else only
        themselves.

        Parameters
        ----------
        project : str
            The project.
        annotator : str
            One annotator; empty for all the caller may see.

        Returns
        -------
        list of AnnotatorClassAgreement
        """
        return [AnnotatorClassAgreement(q.annotator, ClassAgreement.from_proto(q.classes),
                                        ClassAgreement.from_proto(q.image_classes))
                for q in self.annotator_quality(project, annotator)]

    def agreement_over_time(self, project: str, window: str = "week", labels_per_window: int = 0,
                            annotator: str = "", tolerance: float = 0.0) -> selector_pb2.AgreementOverTimeResponse:
        """Agreement per time window, for the project and per annotator:
        whether annotators improve. A project's admins see every annotator;
        anyone else the project and themselves.

        Parameters
        ----------
        project : str
            The project.
        window : {"week", "labels", "all"}
            Calendar weeks (UTC), every ``labels_per_window`` labels in
            the order they were made, or one window: the agreement as it
            stands (F1, boundary F1 and panoptic quality, each with its 95 %
            interval).
        labels_per_window : int
            With ``window="labels"`` (0: 10).
        annotator : str
            One annotator; empty for all the caller may see.
        tolerance : float
            Outline tolerance in pixels for boundary F1 (0: 2).

        Returns
        -------
        AgreementOverTimeResponse
            ``.project`` and each of ``.annotators``' ``.windows``, oldest
            first: ``name``, ``start``, ``end``, ``labels``, ``f1`` (mean
            matched-object F1 with ``f1_low``, ``f1_high``, its 95 %
            interval) and ``boundary_f1``.
        """
        return self.transport.unary(self.stub.AgreementOverTime, selector_pb2.AgreementOverTimeRequest(
            project=project, window=window, labels_per_window=labels_per_window, annotator=annotator,
            tolerance=tolerance))
