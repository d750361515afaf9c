"""The gateway's HTTP API: each route reads the request, makes one or two
SDK calls with the caller's token, and answers JSON, a binary array, or an
array framed behind its JSON description (a sample with its class schema, a
mask with its classes).
Leases, pre-labels, inspection and roles are the services'; nothing here
decides them."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from labelassist.client.errors import LabelAssistError
from labelassist.client.results import Lease
from labelassist.client.sdk import LabelAssistClient
from labelassist.client.web.arrays import (DTYPE_HEADER, FRAMED_TYPE, SHAPE_HEADER, compressed, decoded_body,
                                           display_image, framed, label_from_body, raw_bytes, unframed)
from labelassist.client.web.classes import guesses_json, schema_json, stored_classes_json, submitted_classes
from labelassist.client.web.metrics import ServerTiming
from labelassist.client.web.security import HttpProblem, bearer_token

MAX_CLICKS = 100
# Binary answers are per-sample and per-token: never cached by a shared cache.
PRIVATE = {"cache-control": "private, no-store"}


def sdk(request: Request) -> LabelAssistClient:
    return request.app.state.clients.client(bearer_token(request))


def sample_id(request: Request) -> int:
    text = request.path_params["sample_id"]
    if not text.isdigit() or not 0 < int(text) < 1 << 63:
        raise HttpProblem(400, f"sample id must be a positive integer, got {text!r}")
    return int(text)


async def json_body(request: Request) -> dict:
    body = await request.body()
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError as error:
        raise HttpProblem(400, f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise HttpProblem(400, "the body must be a JSON object")
    return data


def id_field(data: dict, name: str) -> int:
    """An optional sample id in a JSON body: 0 when absent."""
    value = data.get(name) or 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 63:
        raise HttpProblem(400, f"'{name}' must be a sample id (a positive integer), got {value!r}")
    return value


def text_field(data: dict, name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or len(value) > 256:
        raise HttpProblem(400, f"'{name}' must be a string of at most 256 characters")
    return value


async def described_label(request: Request) -> tuple[np.ndarray, dict | None]:
    """A label from a raw body, or from a framed one with its description
    (``Content-Type`` says which; the content encoding wraps either whole)."""
    body = decoded_body(await request.body(), request.headers.get("content-encoding", ""),
                        request.app.state.max_body_bytes)
    description = None
    if request.headers.get("content-type", "").split(";")[0].strip() == FRAMED_TYPE:
        description, body = unframed(body)
    return label_from_body(body, request.headers.get(SHAPE_HEADER), request.headers.get(DTYPE_HEADER)), description


async def label_body(request: Request) -> np.ndarray:
    return (await described_label(request))[0]


def array_response(request: Request, array: np.ndarray, description: dict | None = None,
                   timing: ServerTiming | None = None, **headers: str) -> Response:
    """The array raw, or framed behind ``description`` where there is one;
    with ``timing``'s steps (and the compression's) in a Server-Timing header."""
    timing = timing or ServerTiming()
    body, described = raw_bytes(array)
    if description is not None:
        body = framed(description, body)
    with timing.step("compress"):
        body, encoding = compressed(body, request.headers.get("accept-encoding", ""))
    return Response(body, media_type="application/octet-stream" if description is None else FRAMED_TYPE,
                    headers={**PRIVATE, **described, **encoding, **timing.header(),
                             **{k.replace("_", "-"): v for k, v in headers.items()}})


def sample_json(sample, expires_at: float = 0.0) -> dict:
    return {"sample_id": int(sample.sample_id), "project": sample.project, "stem": sample.stem,
            "sequence": sample.sequence, "labeled": sample.labeled, "label_version": int(sample.label_version),
            "review": sample.review, "review_comment": sample.review_comment, "lease_expires_at": expires_at}


# -- routes --------------------------------------------------------------------


async def health(request: Request) -> JSONResponse:
    """The gateway answers; with each service's health, which needs no token."""
    services = await run_in_threadpool(request.app.state.clients.client(None).health)
    serving = set(services.values()) == {"SERVING"}
    return JSONResponse({"status": "SERVING" if serving else "NOT_SERVING", "services": services},
                        status_code=200 if serving else 503)


async def projects(request: Request) -> JSONResponse:
    found = await run_in_threadpool(sdk(request).list_projects)
    return JSONResponse({"projects": [{"name": p.name, "total": int(p.total), "labeled": int(p.labeled),
                                       "lease_seconds": p.lease_seconds} for p in found]})


def view_response(request: Request, client: LabelAssistClient, sample, image: np.ndarray, expires_at: float = 0.0,
                  timing: ServerTiming | None = None) -> Response:
    """The sample with its project's class schema (the frame's JSON) and its
    image as the view first shows it: 8 bits, contrast stretched, grey or
    RGB, as raw bytes the page writes into its pixels with no decoder
    (``X-Image-Shape``, ``X-Image-Dtype``: the image's own). The schema comes
    from the gateway's cache, asked again only when its stamp moved."""
    timing = timing or ServerTiming()
    with timing.step("view"):
        shown = display_image(image)
    with timing.step("schema"):
        schema = schema_json(request.app.state.class_schemas.schema(client, sample))
    return array_response(request, shown, {**sample_json(sample, expires_at), "classes": schema}, timing,
                          x_image_shape=",".join(map(str, image.shape)), x_image_dtype=image.dtype.name)


def lease_one(client: LabelAssistClient, project: str, annotator: str, ahead_of: int) -> Lease:
    """The next lease; ``ahead_of`` (the sample the annotator has open) asks
    for another one besides it, to have it ready when they press Next."""
    if not ahead_of:
        return client.next_sample(project, annotator)
    held = client.next_samples(project, annotator, 2)
    return next((lease for lease in held.leased if lease.sample.sample_id != ahead_of), Lease(True, None))


def give_back(client: LabelAssistClient, sid: int, annotator: str, skip: bool, reason: str) -> None:
    try:
        client.release_sample(sid, annotator, skip, reason)
    except LabelAssistError as error:
        if error.status.name != "NOT_FOUND":  # a sample deleted meanwhile has nothing to give back
            raise


async def next_sample(request: Request) -> Response:
    """Lease the next sample, in one round trip: first give back the one in
    ``give_back`` (with ``skip`` and ``reason``), and with ``view`` answer with
    the image to show (as :func:`view_response`) instead of JSON alone."""
    data = await json_body(request)
    client, project, annotator = sdk(request), request.path_params["project"], text_field(data, "annotator")
    given_back, ahead_of, reason = id_field(data, "give_back"), id_field(data, "ahead_of"), text_field(data, "reason")
    timing = ServerTiming()

    def run() -> Response:
        if given_back:
            with timing.step("release"):
                give_back(client, given_back, annotator, bool(data.get("skip", False)), reason)
        with timing.step("lease"):
            lease = lease_one(client, project, annotator, ahead_of)
        if lease.exhausted:
            return JSONResponse({"exhausted": True})
        if not data.get("view"):
            return JSONResponse({"exhausted": False, "strategy": lease.strategy,
                                 **sample_json(lease.sample, lease.lease_expires_at)})
        sid = lease.sample.sample_id
        with timing.step("sample"):
            envelope = client.get_sample(sid)
        answer = view_response(request, client, lease.sample, envelope.require("image"), lease.lease_expires_at,
                               timing)
        # The page asks for the starting mask once the image is on screen: begun as soon as the image is sent
        # (not before, where it would take the CPU the image's answer needs), from the sample fetched here.
        answer.background = BackgroundTask(
            request.app.state.masks_ahead.begin, client, sid,
            lambda: starting_mask(request.app.state.class_schemas, client, sid, envelope))
        return answer

    return await run_in_threadpool(run)


async def sample_info(request: Request) -> JSONResponse:
    envelope = await run_in_threadpool(sdk(request).get_sample, sample_id(request), False)
    return JSONResponse(sample_json(envelope.message))


async def image_view(request: Request) -> Response:
    """The sample and its image as the view first shows it (a reviewer's, who holds no lease)."""
    client, sid, timing = sdk(request), sample_id(request), ServerTiming()

    def run() -> Response:
        with timing.step("sample"):
            envelope = client.get_sample(sid)
        found = envelope.message
        return view_response(request, client, found, envelope.require("image"), 0.0, timing)

    return await run_in_threadpool(run)


async def image_raw(request: Request) -> Response:
    """The image's own values, for channel and contrast controls."""
    envelope = await run_in_threadpool(sdk(request).get_sample, sample_id(request))
    return array_response(request, envelope.require("image"))


def prelabel_guesses(schemas, client: LabelAssistClient, sample, prelabel: np.ndarray) -> dict | None:
    """The class model's guesses of a stored pre-label's objects (a project
    with classes); without a model yet, the note that says what it waits for."""
    schema = schemas.schema(client, sample)
    if not schema.object_classes and not schema.image_classes:
        return None
    try:
        return guesses_json(client.predict_classes(sample_id=sample.sample_id, mask=prelabel))
    except LabelAssistError as error:
        if error.status.name != "FAILED_PRECONDITION":
            raise
        return {"guessed": True, "objects": {}, "image": [], "model": "", "note": error.message}


def starting_mask(schemas, client: LabelAssistClient, sid: int, envelope=None
                  ) -> tuple[np.ndarray | None, dict | None, dict]:
    """What the annotator starts from: the newest label, else the stored
    pre-label, else a pre-label assist makes now (None when it cannot); with
    its classes where the project has classes (the label's, else the class
    model's guesses), and the headers that say which it is. ``envelope``:
    the sample as the caller fetched it already (else fetched here)."""
    envelope = envelope if envelope is not None else client.get_sample(sid, False)
    found = envelope.message
    if envelope.arrays.get("label") is not None:
        classes = stored_classes_json(found.object_classes, found.image_classes) \
            if found.object_classes or found.image_classes else None
        return envelope.arrays["label"], classes, {"x_mask_source": "label"}
    if envelope.arrays.get("prelabel") is not None:
        classes = prelabel_guesses(schemas, client, found, envelope.arrays["prelabel"])
        return envelope.arrays["prelabel"], classes, {"x_mask_source": "prelabel"}
    try:
        outcome = client.prelabel(None, sample_id=sid)
    except LabelAssistError as error:
        if error.status.name in ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"):
            raise
        return None, None, {"x_mask_source": "none"}
    classes = guesses_json(outcome.classes) if outcome.classes is not None else None
    return outcome.mask, classes, {"x_mask_source": "computed", "x_mask_method": outcome.method}


async def mask(request: Request) -> Response:
    """The sample's starting mask (:func:`starting_mask`), framed behind its
    classes where the project has classes, raw otherwise: the one begun when
    this caller's Next leased the sample, else made now (``X-Mask-Begun``:
    ``lease`` or ``request``)."""
    client, sid, schemas = sdk(request), sample_id(request), request.app.state.class_schemas
    ahead = request.app.state.masks_ahead.take(client, sid)
    made, begun = None, "lease"
    if ahead is not None:
        try:
            made = await asyncio.wrap_future(ahead)
        except Exception:  # noqa: BLE001 - begun early and failed: made again now, whose error the caller gets
            made = None
    if made is None:
        made, begun = await run_in_threadpool(starting_mask, schemas, client, sid), "request"
    array, classes, headers = made
    if array is None:
        return Response(status_code=204, headers={**PRIVATE, "x-mask-source": "none", "x-mask-begun": begun})
    return array_response(request, array, classes, **headers, x_mask_begun=begun)


async def renew(request: Request) -> JSONResponse:
    data = await json_body(request)
    expires = await run_in_threadpool(sdk(request).renew_lease, sample_id(request), text_field(data, "annotator"))
    return JSONResponse({"renewed": expires is not None, "lease_expires_at": expires})


async def release(request: Request) -> JSONResponse:
    data = await json_body(request)
    released = await run_in_threadpool(sdk(request).release_sample, sample_id(request),
                                       text_field(data, "annotator"), bool(data.get("skip", False)),
                                       text_field(data, "reason"))
    return JSONResponse({"released": released})


async def inspect(request: Request) -> JSONResponse:
    """Inspect a label against its sample's image, with the project's settings."""
    client, sid, label = sdk(request), sample_id(request), await label_body(request)

    def run():
        envelope = client.get_sample(sid)
        prelabel = envelope.arrays.get("prelabel")
        return client.inspect(label, image=envelope.require("image"), prelabel=prelabel,
                              project=envelope.message.project)

    report = await run_in_threadpool(run)
    return JSONResponse({"findings": [f.as_dict() for f in report.findings], "warnings": len(report.warnings),
                         "checked": report.checked})


async def submit(request: Request) -> JSONResponse:
    """Store a label, with its classes (a framed body's JSON), as the sample's
    next version. A retry (``X-Submit-Retry: 1``) whose label and classes the
    selector already holds as the newest version is answered with that
    version, so a label whose first answer was lost arrives once."""
    client, sid, (label, classes) = sdk(request), sample_id(request), await described_label(request)
    annotator, origin = request.query_params.get("annotator", ""), request.query_params.get("origin", "manual")
    object_classes, image_classes = submitted_classes(classes)

    def run() -> dict:
        if request.headers.get("x-submit-retry") == "1":
            held = client.get_sample(sid, with_image=False)
            stored = held.arrays.get("label")
            if (stored is not None and stored.shape == label.shape and np.array_equal(stored, label)
                    and held.message.object_classes == object_classes
                    and list(held.message.image_classes) == image_classes):
                return {"version": int(held.message.label_version), "stored_now": False}
        version = client.submit_label(sid, annotator, label, origin=origin, object_classes=object_classes,
                                      image_classes=image_classes)
        return {"version": int(version.version), "stored_now": True, "checksum": version.checksum,
                "annotator": version.annotator}

    return JSONResponse(await run_in_threadpool(run))


async def segment(request: Request) -> Response:
    """One object from positive and negative clicks, as a crop of the image;
    of ``object_class`` (the page's current class) where the project has object classes."""
    data = await json_body(request)
    object_class = text_field(data, "object_class")
    clicks = data.get("clicks")
    if not isinstance(clicks, list) or not 0 < len(clicks) <= MAX_CLICKS:
        raise HttpProblem(400, f"'clicks' must be a list of 1 to {MAX_CLICKS} [row, column, positive] triples")
    try:
        triples = [(float(y), float(x), bool(p)) for y, x, p in clicks]
    except (TypeError, ValueError):
        raise HttpProblem(400, "each click must be [row, column, positive]") from None
    found = await run_in_threadpool(lambda: sdk(request).segment(None, triples, sample_id=sample_id(request),
                                                                  crop_to_object=True, object_class=object_class))
    return array_response(request, found.mask.astype(np.uint8), x_crop_top=str(found.top),
                          x_crop_left=str(found.left), x_object_area=str(found.area))


async def postprocess(request: Request) -> Response:
    """A finding's one-tap fix: a post-processing step run on the label."""
    step = request.query_params.get("step", "")
    try:
        parameters = json.loads(request.query_params.get("parameters") or "{}")
    except ValueError:
        raise HttpProblem(400, "'parameters' must be a JSON object") from None
    if not step or not isinstance(parameters, dict):
        raise HttpProblem(400, "give the step's name in 'step' and its parameters as a JSON object in 'parameters'")
    label = await label_body(request)
    fixed, _ = await run_in_threadpool(sdk(request).postprocess, label, [(step, parameters)])
    return array_response(request, fixed)


async def to_review(request: Request) -> JSONResponse:
    """The project's next labelled sample without a verdict, after ``?after=``
    (a sample id) in pool order: a reviewer's queue, one at a time."""
    after = request.query_params.get("after", "0")
    if not after.isdigit():
        raise HttpProblem(400, f"'after' must be a sample id (0 for the first), got {after!r}")
    client, project = sdk(request), request.path_params["project"]

    def first():
        return next((s for s in client.iter_samples(project, labeled_only=True)
                     if s.sample_id > int(after) and not s.review), None)

    found = await run_in_threadpool(first)
    return JSONResponse({"exhausted": True} if found is None else {"exhausted": False, **sample_json(found)})


async def review(request: Request) -> JSONResponse:
    data = await json_body(request)
    sample = await run_in_threadpool(sdk(request).review_label, sample_id(request), text_field(data, "reviewer"),
                                     bool(data.get("accept")), text_field(data, "comment"))
    return JSONResponse(sample_json(sample))


SAMPLE = "/api/samples/{sample_id}"
ROUTES = [
    Route("/healthz", health),
    Route("/api/projects", projects),
    Route("/api/projects/{project}/next", next_sample, methods=["POST"]),
    Route("/api/projects/{project}/review", to_review),
    Route(SAMPLE, sample_info),
    Route(f"{SAMPLE}/view", image_view),
    Route(f"{SAMPLE}/image", image_raw),
    Route(f"{SAMPLE}/mask", mask),
    Route(f"{SAMPLE}/renew", renew, methods=["POST"]),
    Route(f"{SAMPLE}/release", release, methods=["POST"]),
    Route(f"{SAMPLE}/inspect", inspect, methods=["POST"]),
    Route(f"{SAMPLE}/label", submit, methods=["POST"]),
    Route(f"{SAMPLE}/segment", segment, methods=["POST"]),
    Route(f"{SAMPLE}/review", review, methods=["POST"]),
    Route("/api/postprocess", postprocess, methods=["POST"]),
]
