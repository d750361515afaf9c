"""The selector's calls on answers to inspection findings: decode, check the
caller's role, call :mod:`finding_answers`, encode."""

from __future__ import annotations

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.runtime.auth import annotator_name, require
from labelassist.selector import finding_answers
from labelassist.selector.store import Store


def answer_to_proto(row: dict) -> pb.FindingAnswer:
    return pb.FindingAnswer(answer_id=row["id"], sample_id=row["sample_id"], criterion=row["criterion"],
                            measured=row["measured"], bound=row["bound"],
                            object_ids=[int(i) for i in row["object_ids"].split(",") if i],
                            annotator=row["annotator"], answered_at=row["answered_at"],
                            undone_by=row["undone_by"], undone_at=row["undone_at"], outcome=row["outcome"],
                            label_version=row["label_version"], review=row.get("review", ""),
                            object_class=row["object_class"])


class FindingAnswerCalls:
    """AnswerFinding, ListFindingAnswers and UndoFindingAnswer, for the servicer."""

    def __init__(self, store: Store):
        self.store = store

    def answer(self, request: pb.AnswerFindingRequest) -> pb.AnswerFindingResponse:
        require("submit", request.project)
        project, given = self.store.project(request.project), request.answer
        row = finding_answers.record_answer(self.store.engine, project.id, given.sample_id, given.criterion,
                                            given.measured, given.bound, given.object_ids,
                                            annotator_name(given.annotator), given.outcome, given.label_version,
                                            given.object_class)
        return pb.AnswerFindingResponse(answer=answer_to_proto(row))

    def list(self, request: pb.ListFindingAnswersRequest) -> pb.ListFindingAnswersResponse:
        require("fetch", request.project)
        rows = finding_answers.project_answers(self.store.reader, self.store.project(request.project).id)
        return pb.ListFindingAnswersResponse(answers=[answer_to_proto(row) for row in rows])

    def undo(self, request: pb.UndoFindingAnswerRequest) -> pb.UndoFindingAnswerResponse:
        row = finding_answers.answer(self.store.reader, request.answer_id)
        require("review", self.store.project_name(row["project_id"]))
        row = finding_answers.undo_answer(self.store.engine, request.answer_id, annotator_name(request.reviewer))
        return pb.UndoFindingAnswerResponse(answer=answer_to_proto(row))
