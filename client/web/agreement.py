"""The gateway's agreement views: a project's agreement (F1, boundary F1
and panoptic quality with their intervals), each annotator's estimated
quality, and the adjudication queue with each label version to show side
by side. Every route is one or two SDK calls with the caller's token; the
selector decides who sees what (admins everyone, an annotator themselves,
reviewers the queue)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from labelassist.client.web.routes import SAMPLE, array_response, id_field, json_body, sample_id, sdk, text_field
from labelassist.client.web.security import HttpProblem
from labelassist.proto.v1 import selector_pb2

MEASURES = ("f1", "boundary_f1", "panoptic_quality")
KINDS = ("reference_objects", "missed", "extra", "merged", "split", "wide", "narrow")


def window_json(window) -> dict:
    """An ``AgreementWindow``: per measure [mean, low, high], and the labels it counts."""
    return {"labels": int(window.labels), **{m: [getattr(window, m), getattr(window, f"{m}_low"),
                                                 getattr(window, f"{m}_high")] for m in MEASURES}}


def quality_json(quality, series: dict) -> dict:
    """An ``AnnotatorQuality`` with the annotator's agreement with the others (``series``: name -> window)."""
    return {"annotator": quality.annotator, "accuracy": quality.accuracy, "samples": int(quality.samples),
            "weight": quality.weight, "consensus_f1": quality.consensus_f1,
            "consensus_boundary_f1": quality.consensus_boundary_f1, "gold_samples": int(quality.gold_samples),
            "gold_f1": quality.gold_f1, "accepted": int(quality.accepted), "rejected": int(quality.rejected),
            "kinds": {k: int(getattr(quality.kinds, k)) for k in KINDS},
            "agreement": window_json(series[quality.annotator]) if quality.annotator in series else None}


def version_json(version) -> dict:
    return {"version": int(version.version), "annotator": version.annotator,
            "origin": selector_pb2.LabelOrigin.Name(version.origin).removeprefix("LABEL_ORIGIN_").lower()}


async def agreement(request: Request) -> JSONResponse:
    """The project's agreement as it stands and each annotator's quality the caller may see."""
    client, project = sdk(request), request.path_params["project"]

    def run() -> dict:
        answer = client.agreement_over_time(project, "all")
        series = {s.annotator: s.windows[0] for s in answer.annotators if s.windows}
        return {"project": project, "agreement": window_json(answer.project[0]) if answer.project else None,
                "annotators": [quality_json(q, series) for q in client.annotator_quality(project)]}

    return JSONResponse(await run_in_threadpool(run))


async def adjudication(request: Request) -> JSONResponse:
    """The samples several annotators labelled, most disputed first (reviewers and admins)."""
    limit = request.query_params.get("limit", "50")
    if not limit.isdigit():
        raise HttpProblem(400, f"'limit' must be a number of samples, got {limit!r}")
    items = await run_in_threadpool(sdk(request).adjudication_queue, request.path_params["project"], int(limit))
    return JSONResponse({"items": [{
        "sample_id": int(item.sample_id), "stem": item.stem, "disagreement": item.disagreement,
        "mean_f1": item.mean_f1, "mean_boundary_f1": item.mean_boundary_f1, "review": item.review,
        "class_disagreement": item.class_disagreement, "consensus_version": int(item.consensus_version),
        "labels": [version_json(v) for v in item.labels]} for item in items]})


async def consensus(request: Request) -> JSONResponse:
    """Build (or bring up to date) the project's consensus versions (reviewers and admins)."""
    built = await run_in_threadpool(sdk(request).build_consensus, request.path_params["project"])
    return JSONResponse({"built": len(built.built), "unchanged": int(built.unchanged)})


async def label_version(request: Request) -> Response:
    """One label version of a sample, raw, to show beside the others."""
    text = request.path_params["version"]
    if not text.isdigit() or int(text) < 1:
        raise HttpProblem(400, f"label version must be a positive integer, got {text!r}")
    envelope = await run_in_threadpool(lambda: sdk(request).get_sample(sample_id(request), with_image=False,
                                                                       label_version=int(text)))
    return array_response(request, envelope.require("label"))


async def adjudicate(request: Request) -> JSONResponse:
    """Settle a disputed sample with the chosen version (the consensus or one annotator's)."""
    data = await json_body(request)
    version = id_field(data, "version")
    if not version:
        raise HttpProblem(400, "'version' must name the label version chosen")
    chosen = await run_in_threadpool(sdk(request).adjudicate, sample_id(request), version,
                                     text_field(data, "reviewer"), text_field(data, "comment"))
    return JSONResponse({"sample_id": int(chosen.sample_id), **version_json(chosen),
                         "sources": [int(s.version) for s in chosen.sources]})


ROUTES = [
    Route("/api/projects/{project}/agreement", agreement),
    Route("/api/projects/{project}/adjudication", adjudication),
    Route("/api/projects/{project}/consensus", consensus, methods=["POST"]),
    Route(SAMPLE + "/labels/{version}", label_version),
    Route(f"{SAMPLE}/adjudicate", adjudicate, methods=["POST"]),
]
