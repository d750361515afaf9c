"""``client.selector``: the selector's calls (projects, samples, leases,
labels, reviews, answers to findings), through the SDK's transport."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from labelassist.client.class_calls import label_classes
from labelassist.client.inputs import as_origin, checked_arrays, enum_value, flag
from labelassist.client.results import LabelVersion, Lease, Leases, Sample, SampleInfo
from labelassist.client.sample_lists import SampleLists
from labelassist.client.steps import StepLike, as_call, assist_settings, inspection_settings
from labelassist.proto.v1 import common_pb2, selector_pb2

ADD_MESSAGE_BYTES = 1 << 20  # small samples share a message of about this size


class Selector(SampleLists):
    """The selector service: projects and their settings, samples (listed
    as :class:`SampleLists` lists them), leases, labels and reviews. Results
    are the SDK's types where one exists
    (:class:`~labelassist.client.results.Lease`, ``Sample``, ``SampleInfo``,
    ``LabelVersion``), else the contract's message."""

    service = "selector"

    def list_strategies(self) -> list[common_pb2.NamedSpec]:
        return list(self.transport.unary(self.stub.ListStrategies, selector_pb2.ListStrategiesRequest()).strategies)

    def create_project(self, name: str, lease_seconds: float = 0.0, strategy: str = "",
                       criteria: Iterable[StepLike] = (), disabled: Iterable[str] = (),
                       preprocess: Iterable[StepLike] = (), method: StepLike | None = None,
                       postprocess: Iterable[StepLike] = ()) -> selector_pb2.Project:
        """Create a project.

        Parameters
        ----------
        name : str
            The project's unique name.
        lease_seconds : float
            How long a lease holds a sample (0: the server's default).
        strategy : str
            The default selection strategy (empty: sequence_aware).
        criteria, disabled
            The project's inspection settings: criterion parameters, and
            criteria that do not apply.
        preprocess, method, postprocess
            The project's assist settings: the steps its pre-labels run
            (e.g. ``preprocess=["hed"]`` for H&E slides).

        Returns
        -------
        Project
            The stored project.

        Raises
        ------
        AlreadyExistsError
            A project of that name exists.
        """
        return self.transport.unary(self.stub.CreateProject, selector_pb2.CreateProjectRequest(
            name=name, lease_seconds=lease_seconds, strategy=strategy,
            inspection=inspection_settings(criteria, disabled),
            assist=assist_settings(preprocess, method, postprocess))).project

    def list_projects(self) -> list[selector_pb2.Project]:
        return list(self.transport.unary(self.stub.ListProjects, selector_pb2.ListProjectsRequest()).projects)

    def get_project(self, project: str) -> selector_pb2.Project:
        return self.transport.unary(self.stub.GetProject, selector_pb2.GetProjectRequest(project=project)).project

    def delete_project(self, project: str) -> selector_pb2.DeleteProjectResponse:
        """Delete a project with its samples, labels and settings (project admins).

        Images and labels that no other project refers to are removed from
        the server's blob store; there is no undo, so back up first (see the
        README's "Backup and upgrade").

        Returns
        -------
        DeleteProjectResponse
            How many samples and label versions were deleted, and how many
            blobs were removed.

        Raises
        ------
        NotFoundError
            No such project.
        PermissionDeniedError
            The caller is not the project's admin.
        """
        return self.transport.unary(self.stub.DeleteProject, selector_pb2.DeleteProjectRequest(project=project))

    def rename_project(self, project: str, new_name: str) -> selector_pb2.Project:
        """Give a project a new name; its samples, labels and settings stay
        (admins of the project under both names).

        Raises
        ------
        AlreadyExistsError
            Another project has ``new_name``.
        NotFoundError
            No project ``project``.
        """
        return self.transport.unary(self.stub.RenameProject, selector_pb2.RenameProjectRequest(
            project=project, new_name=new_name)).project

    def delete_sample(self, sample_id: int = 0, project: str = "", stem: str = ""
                      ) -> selector_pb2.DeleteSampleResponse:
        """Delete one sample, by id or by project and stem, with its label
        versions (project admins); an annotator holding a lease on it gets
        NOT_FOUND on their next call for it.

        Returns
        -------
        DeleteSampleResponse
            How many label versions were deleted, and blobs removed.
        """
        return self.transport.unary(self.stub.DeleteSample, selector_pb2.DeleteSampleRequest(
            sample_id=sample_id, project=project, stem=stem))

    def set_inspection(self, project: str, criteria: Iterable[StepLike] = (),
                       disabled: Iterable[str] = (), min_confidence: float = 0.0) -> selector_pb2.Project:
        """Replace the project's inspection settings: criterion parameters,
        criteria that do not apply, and the confidence below which warnings
        are only info (admins)."""
        return self.transport.unary(self.stub.SetInspection, selector_pb2.SetInspectionRequest(
            project=project, inspection=inspection_settings(criteria, disabled, min_confidence))).project

    def set_assist(self, project: str, preprocess: Iterable[StepLike] = (), method: StepLike | None = None,
                   postprocess: Iterable[StepLike] = ()) -> selector_pb2.Project:
        """Replace the project's assist settings (admins): the steps a
        pre-label without a method runs for the project's samples; empty
        steps restore the default pipeline.

        Raises
        ------
        InvalidArgumentError
            An unknown operation, one of the wrong family, or a bad parameter.
        """
        return self.transport.unary(self.stub.SetAssist, selector_pb2.SetAssistRequest(
            project=project, assist=assist_settings(preprocess, method, postprocess))).project

    def register_dataset(self, project: str, path: str | Path) -> selector_pb2.RegisterDatasetResponse:
        """Register a dataset folder that lies on the server, inside its dataset roots."""
        return self.transport.unary(self.stub.RegisterDataset,
                           selector_pb2.RegisterDatasetRequest(project=project, path=str(path)))

    def add_sample(self, project: str, stem: str, image: np.ndarray, sequence: str = "",
                   label: np.ndarray | None = None, prelabel: np.ndarray | None = None,
                   origin: Mapping[str, Any] | None = None, gold: bool = False) -> int:
        """Add one sample to a project.

        Parameters
        ----------
        project, stem : str
            The project, and the sample's name in it (unique per project).
        image : ndarray
            The image.
        sequence : str
            Which time-lapse or series it belongs to (sequence-aware selection).
        label, prelabel : ndarray, optional
            An existing label (stored as version 1) or pre-label.
        origin : mapping, optional
            Where the sample lies in its source file (file, axes, shape, t,
            z, y, x, height, width, channel), for export in the file's layout.
        gold : bool
            ``label`` is a reference label: kept apart and never sent to
            annotators, who label the sample like a shared one.

        Returns
        -------
        int
            The sample id.
        """
        params = selector_pb2.AddSampleParams(project=project, stem=stem, sequence=sequence,
                                              origin=as_origin(origin), gold=gold)

        return self.transport.upload(self.stub.AddSample, selector_pb2.AddSampleRequest, params,
                            {"image": image, "label": label, "prelabel": prelabel}).sample_id

    def add_samples(self, project: str, samples: Iterable[Mapping[str, Any]]
                    ) -> selector_pb2.AddSamplesResponse:
        """Add many samples in one streamed call: each item has "stem" and
        "image", optionally "sequence", "label", "prelabel", "origin", "gold"
        (as for :meth:`add_sample`), the label's "object_classes" and
        "image_classes" (as for :meth:`submit_label`) and "label_source" (the tool or format
        an imported label came from, kept in its history). The selector
        writes them in batches; ``.rejected`` names each sample it could not
        add, and why, while the rest are added. Not retried (the iterable
        is consumed once); adding again is safe, existing stems are kept.
        An item that is not such a mapping ends the call with a
        ``TypeError`` or ``ValueError`` naming it."""
        problems: list[Exception] = []

        def messages():
            try:
                yield from parts()
            except Exception as error:  # noqa: BLE001 - gRPC would report it only as UNKNOWN
                problems.append(error)
                raise

        def parts():
            message, size = selector_pb2.AddSamplesRequest(), 0
            for number, sample in enumerate(samples, start=1):
                if not isinstance(sample, Mapping):
                    raise TypeError(f"sample {number} is a {type(sample).__name__}; each sample is a dict with "
                                    "'stem' and 'image' (and optionally 'sequence', 'label', 'prelabel', 'origin')")
                if not isinstance(sample.get("stem"), str) or not sample.get("stem") or sample.get("image") is None:
                    raise ValueError(f"sample {number} needs a 'stem' (its name) and an 'image'; it has "
                                     f"{', '.join(map(repr, sample)) or 'nothing'}")
                arrays = checked_arrays({name: sample.get(name) for name in ("image", "label", "prelabel")})
                params = selector_pb2.AddSampleParams(project=project, stem=sample["stem"],
                                                      sequence=sample.get("sequence") or "",
                                                      origin=as_origin(sample.get("origin")),
                                                      label_source=sample.get("label_source", ""),
                                                      gold=bool(sample.get("gold")), classes=label_classes(
                                                          sample.get("object_classes"), sample.get("image_classes")))
                for part in self.transport.parts(selector_pb2.AddSampleRequest, params, arrays):
                    message.parts.append(part)
                    size += part.ByteSize()
                if size >= ADD_MESSAGE_BYTES:  # small samples share a message
                    yield message
                    message, size = selector_pb2.AddSamplesRequest(), 0
            if message.parts:
                yield message

        try:
            return self.stub.AddSamples(messages(), timeout=max(self.transport.timeout or 0, 3600))
        except grpc.RpcError as error:
            if problems:
                raise problems[0] from None
            raise self.transport.error(error, self.stub.AddSamples) from None

    def next_sample(self, project: str, annotator: str,
                    strategy: StepLike | None = None) -> Lease:
        """Lease the next sample for an annotator.

        Parameters
        ----------
        project, annotator : str
            Whose lease, in which project.
        strategy : step, optional
            A strategy and its parameters (default: the project's).

        Returns
        -------
        Lease
            ``.sample`` and the lease's expiry, or ``.exhausted`` when every sample
            is labelled or leased.

        Raises
        ------
        FailedPreconditionError
            A strategy that needs model scores before a model has scored the pool.
        """
        request = selector_pb2.NextSampleRequest(project=project, annotator=annotator)
        if strategy is not None:
            request.strategy.CopyFrom(as_call(strategy))
        return Lease.from_proto(self.transport.unary(self.stub.NextSample, request))

    def next_samples(self, project: str, annotator: str, count: int,
                     strategy: StepLike | None = None) -> Leases:
        """Lease up to ``count`` samples at once, best first (samples the
        annotator already holds come first); ``.leased`` is empty when the
        pool is done."""
        request = selector_pb2.NextSamplesRequest(project=project, annotator=annotator, count=count)
        if strategy is not None:
            request.strategy.CopyFrom(as_call(strategy))
        return Leases.from_proto(self.transport.unary(self.stub.NextSamples, request))

    def release_sample(self, sample_id: int, annotator: str, skip: bool = False, reason: str = "") -> bool:
        """Give a leased sample back; with ``skip`` (and why), the annotator
        is offered it again only when the rest of the pool is done. Whether
        they held the lease."""
        return self.transport.unary(self.stub.ReleaseSample, selector_pb2.ReleaseSampleRequest(
            sample_id=sample_id, annotator=annotator, skip=flag(skip, "skip"), reason=reason)).released

    def renew_lease(self, sample_id: int, annotator: str) -> float | None:
        """Keep a lease while working on the sample: its new expiry (seconds
        since the epoch), or None when the annotator holds no live lease."""
        response = self.transport.unary(self.stub.RenewLease, selector_pb2.RenewLeaseRequest(
            sample_id=sample_id, annotator=annotator))
        return response.lease_expires_at if response.renewed else None

    def get_sample(self, sample_id: int, with_image: bool = True, label_version: int = 0,
                   annotator: str = "") -> Sample:
        """The sample: ``.info`` (also ``.message``), and ``.arrays`` "image"
        and "label" (the newest version, or ``label_version``) or "prelabel".
        With ``annotator``, a sample several annotators label shows only that
        annotator's own label (as it always does to callers who may not read labels)."""
        request = selector_pb2.GetSampleRequest(sample_id=sample_id, without_image=not with_image,
                                                response_compression=self.transport.compression,
                                                label_version=label_version, annotator=annotator)
        found = self.transport.download(self.stub.GetSample, request, "info", selector_pb2.SampleInfo)
        return Sample(SampleInfo.from_proto(found.message), found.arrays)

    def submit_label(self, sample_id: int, annotator: str, mask: np.ndarray, origin: str = "manual",
                     object_classes: Mapping[int, str] | None = None,
                     image_classes: Iterable[str] | None = None) -> LabelVersion:
        """Store a label as the sample's next version.

        Parameters
        ----------
        sample_id : int
            The sample.
        annotator : str
            Who labelled it.
        mask : ndarray
            (H, W) label image of the sample's size.
        origin : {"manual", "edited_prelabel", "accepted_prelabel"}
            How the label was made (any case; the contract's
            ``LabelOrigin`` names and numbers are taken too). Imported
            labels come with their samples (:meth:`add_samples`).
        object_classes, image_classes : optional
            The label's classes: object id -> class name, and the image's
            classes, all in the project's class schema.

        Returns
        -------
        LabelVersion
            The stored version with its number and checksum.
        """
        params = selector_pb2.SubmitLabelParams(
            sample_id=sample_id, annotator=annotator,
            origin=enum_value(selector_pb2.LabelOrigin, origin, "LABEL_ORIGIN_", "origin"),
            classes=label_classes(object_classes, image_classes))

        return LabelVersion.from_proto(self.transport.upload(self.stub.SubmitLabel, selector_pb2.SubmitLabelRequest,
                                                             params, {"mask": mask}).label)

    def review_label(self, sample_id: int, reviewer: str, accept: bool, comment: str = "", version: int = 0
                     ) -> SampleInfo:
        """Accept or reject a label version (0: the newest), with a comment
        the annotator sees (reviewers and admins).

        Returns
        -------
        SampleInfo
            The sample, its ``review``, ``review_comment`` and ``reviewer`` set.
        """
        return SampleInfo.from_proto(self.transport.unary(self.stub.ReviewLabel, selector_pb2.ReviewLabelRequest(
            sample_id=sample_id, version=version, reviewer=reviewer,
            verdict="accepted" if flag(accept, "accept") else "rejected", comment=comment)).sample)

    def answer_finding(self, project: str, finding, sample_id: int = 0, annotator: str = "",
                       outcome: str = "not_an_error", label_version: int = 0) -> selector_pb2.FindingAnswer:
        """Record what became of an inspection finding (annotators, reviewers
        and admins of the project), with who and when.

        The project learns from these answers: once enough findings of one
        criterion on the same side of its bound were false alarms, inspect
        moves that bound for the project; and every finding's ``confidence``
        is the project's estimated probability that it is a real error, so
        warnings of a criterion the annotators keep dismissing become hints
        (below the project's ``min_confidence``) while corrected ones stay.

        Parameters
        ----------
        project : str
            The project the label belongs to.
        finding : Finding
            The finding as an inspection returned it (its criterion,
            measured value, bound, object ids and the object class whose
            bounds judged it are recorded).
        sample_id : int
            The labelled sample it was found on; 0 for a label not stored.
        annotator : str
            Who answers (with authentication: the caller).
        outcome : str
            "not_an_error": the annotator judges the finding wrong (a false
            alarm); "corrected": its objects were changed before submit (a
            real error); "kept": submitted unchanged (a false alarm once a
            reviewer accepts that label version, an error once one rejects
            it). The last two name the submitted label: ``sample_id`` and
            ``label_version``.
        label_version : int
            The label version submitted, for "corrected" and "kept".

        Returns
        -------
        FindingAnswer
            The answer as recorded, with its ``answer_id`` and time.
        """
        answer = selector_pb2.FindingAnswer(sample_id=sample_id, criterion=finding.criterion,
                                            measured=finding.measured, bound=finding.bound,
                                            object_ids=list(finding.object_ids), annotator=annotator,
                                            outcome=outcome, label_version=label_version,
                                            object_class=getattr(finding, "object_class", ""))
        return self.transport.unary(self.stub.AnswerFinding,
                           selector_pb2.AnswerFindingRequest(project=project, answer=answer)).answer

    def finding_answers(self, project: str) -> list[selector_pb2.FindingAnswer]:
        """The project's answers to inspection findings, newest first.

        Parameters
        ----------
        project : str
            The project (its annotators, reviewers and admins may list).

        Returns
        -------
        list of FindingAnswer
            Every answer, those taken back included (``undone_by`` set), each
            with its ``outcome`` and, for a submitted label, the newest
            reviewer's verdict on it (``review``).
        """
        return list(self.transport.unary(self.stub.ListFindingAnswers,
                                selector_pb2.ListFindingAnswersRequest(project=project)).answers)

    def undo_finding_answer(self, answer_id: int, reviewer: str = "") -> selector_pb2.FindingAnswer:
        """Take an answer back (reviewers and admins of its project).

        It no longer counts: a bound it helped move moves back, and its
        criterion's findings are as likely errors as without it.

        Parameters
        ----------
        answer_id : int
            The answer, as ``answer_finding`` or ``finding_answers`` gave it.
        reviewer : str
            Who takes it back (with authentication: the caller).

        Returns
        -------
        FindingAnswer
            The answer with ``undone_by`` and ``undone_at`` set.

        Raises
        ------
        LabelAssistError
            NOT_FOUND for an unknown answer, FAILED_PRECONDITION for one
            already taken back.
        """
        return self.transport.unary(self.stub.UndoFindingAnswer,
                           selector_pb2.UndoFindingAnswerRequest(answer_id=answer_id, reviewer=reviewer)).answer

    def label_history(self, sample_id: int) -> list[LabelVersion]:
        """The sample's label versions, oldest first."""
        return [LabelVersion.from_proto(version) for version in self.transport.unary(
            self.stub.LabelHistory, selector_pb2.LabelHistoryRequest(sample_id=sample_id)).versions]

    def progress(self, project: str) -> selector_pb2.ProgressResponse:
        """Labelled and total samples, per annotator, scoring, and ``outlook``
        (set once two trainings at different label counts exist): what the
        next labels are predicted to add, and whether they still pay."""
        return self.transport.unary(self.stub.Progress, selector_pb2.ProgressRequest(project=project))

    def record_training(self, project: str, model: str, version: int, labels: int,
                        validation_dice: float) -> int:
        """Record a model trained on ``project``'s labels (assist does after a
        Train job); returns how many trainings the project has recorded."""
        return self.transport.unary(self.stub.RecordTraining, selector_pb2.RecordTrainingRequest(
            project=project, model=model, version=version, labels=labels,
            validation_dice=validation_dice)).recorded

    def export_labels(self, project: str, path: str | Path, format: str = "tif") -> int:
        """Write the project's latest labels into a folder on the server.

        Parameters
        ----------
        project : str
            The project.
        path : str or Path
            A folder inside the server's dataset roots.
        format : {"tif", "png"}
            The file format.

        Returns
        -------
        int
            How many labels were written.
        """
        return self.transport.unary(self.stub.ExportLabels, selector_pb2.ExportLabelsRequest(
            project=project, path=str(path), format=format)).written
