"""The labelling session behind the desktop client and the napari widget,
without Qt: the leased sample, its image and pre-label, the inspection the
annotator has seen, and every service call a client makes.

A client asks for a *call* (a function of no arguments that holds what it
needs), runs it on a worker thread, and gives the result back to the
session on the UI thread; a result for a sample the annotator has left is
dropped. Scripts and tests drive the same session synchronously with
:meth:`LabellingSession.next` and :meth:`LabellingSession.submit`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelassist.client.class_palette import ClassPalette, object_ids
from labelassist.client.errors import LabelAssistError
from labelassist.client.finding_answers import FindingAnswers
from labelassist.client.results import (ClassPrelabels, Finding, Inspection, LabelVersion, PrelabelOutcome, Sample,
                                       SampleInfo)
from labelassist.client.sdk import LabelAssistClient

Call = Callable[[], Any]
OPENED = "opened from the sample list"  # a LeasedSample's strategy when no lease was taken


@dataclass
class LeasedSample:
    """A sample leased to the annotator, with what the selector stores for it."""
    sample: SampleInfo
    strategy: str
    image: np.ndarray
    label: np.ndarray | None = None
    prelabel: np.ndarray | None = None
    expires_at: float = 0.0  # when the lease ends (seconds since the epoch); 0 without one
    leased_for: float = 0.0  # the project's lease time, to renew at half of it
    prelabel_error: str = ""  # why a pre-label asked for with the lease did not come
    class_guesses: ClassPrelabels | None = None  # the class model's guesses for that pre-label

    @property
    def sample_id(self) -> int:
        return int(self.sample.sample_id)

    @property
    def leased(self) -> bool:
        return self.strategy != OPENED

    @property
    def shown_mask(self) -> np.ndarray | None:
        """What the canvas starts from: the stored label, else the stored pre-label."""
        return self.label if self.label is not None else self.prelabel


@dataclass
class SubmitResult:
    """A submit either stored a label version or was held by warnings."""
    version: LabelVersion | None = None
    held: list[Finding] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.version is not None


def fetched(sample: Sample, strategy: str, expires_at: float = 0.0) -> LeasedSample:
    """A fetched sample as the session holds it; ``expires_at`` 0 without a lease."""
    return LeasedSample(sample.info, strategy, sample.require("image"), sample.label, sample.prelabel, expires_at,
                        max(expires_at - time.time(), 0.0) if expires_at else 0.0)


class LabellingSession:
    """What one annotator is doing in one project, and the calls that do it.

    Parameters
    ----------
    client : LabelAssistClient
        The services.
    annotator : str
        Whose leases, skips and labels these are.
    """

    def __init__(self, client: LabelAssistClient, annotator: str = "annotator"):
        self.client = client
        self.annotator = annotator
        self.current: LeasedSample | None = None
        self.prelabel: np.ndarray | None = None
        # The class model's guess of each pre-labelled object's class (a project with classes).
        self.class_guesses: ClassPrelabels | None = None
        self.inspection: Inspection | None = None
        self.inspected_mask: np.ndarray | None = None
        self.answers = FindingAnswers(client)  # what became of the warnings shown
        self.classes = ClassPalette()  # the label's classes, sent with it on submit

    # -- state --------------------------------------------------------------

    @property
    def sample_id(self) -> int | None:
        return self.current.sample_id if self.current is not None else None

    @property
    def findings(self) -> list[Finding]:
        return self.inspection.findings if self.inspection is not None else []

    def is_current(self, sample_id: int | None) -> bool:
        """Whether a result computed for ``sample_id`` still applies."""
        return sample_id is not None and sample_id == self.sample_id

    def show(self, leased: LeasedSample | None) -> None:
        """The sample a lease brought (None: nothing left) becomes current."""
        self.current = leased
        self.prelabel = leased.prelabel if leased is not None else None
        self.class_guesses = None
        self.inspection, self.inspected_mask = None, None
        self.answers.start(leased.sample_id if leased is not None else None)
        # The stored label's classes; a pre-label the lease brought, its guesses.
        self.classes.start(leased.sample.object_classes if leased else None,
                           leased.sample.image_classes if leased else ())
        if leased is not None and leased.label is None and leased.prelabel is not None:
            self.class_guesses = leased.class_guesses
            self.classes.accept_guesses(leased.class_guesses)
            self.classes.appeared(object_ids(leased.prelabel), select=False)

    def forget(self) -> None:
        """The sample was given back: nothing is current."""
        self.show(None)

    def accept_prelabel(self, outcome: PrelabelOutcome) -> None:
        """A pre-label replaces the label: its objects take the class model's guesses."""
        self.prelabel, self.class_guesses = outcome.mask, outcome.classes
        self.classes.accept_guesses(outcome.classes)
        self.classes.appeared(object_ids(outcome.mask), select=False)  # objects the model did not guess

    def use_project(self, schema) -> None:
        """The project's class schema (``ClassSchema``), for the classes of new objects."""
        self.classes.use(schema)

    def accept_inspection(self, inspection: Inspection, mask: np.ndarray) -> list[Finding]:
        """Remember what the annotator was shown about ``mask``; returns the
        warnings that hold a submit."""
        self.inspection, self.inspected_mask = inspection, mask
        self.answers.show(inspection.findings, mask)
        return [finding for finding in inspection.warnings if not self.answers.is_dismissed(finding)]

    def has_seen_inspection_of(self, mask: np.ndarray) -> bool:
        """The annotator has seen the warnings about exactly this mask, so a
        submit stores it as it is."""
        return self.inspected_mask is not None and np.array_equal(self.inspected_mask, mask)

    @property
    def origin(self) -> str:
        return "edited_prelabel" if self.prelabel is not None else "manual"

    # -- calls (run anywhere; they read no state after they are made) -------

    def lease_call(self, project: str, prelabel: bool = False) -> Call:
        """Lease the next sample and fetch it: a ``LeasedSample``, or None when
        every sample is labelled or leased. With ``prelabel``, a sample that
        has no stored label or pre-label comes pre-labelled by the server in
        the same call (one answer to show); a pre-label that fails leaves
        ``prelabel_error`` set and the sample still comes, to draw by hand."""
        client, annotator = self.client, self.annotator

        def lease() -> LeasedSample | None:
            taken = client.selector.next_sample(project, annotator)
            if taken.exhausted:
                return None
            leased = fetched(client.selector.get_sample(taken.sample.sample_id), taken.strategy,
                             taken.lease_expires_at)
            if prelabel and leased.shown_mask is None:
                try:
                    outcome = client.assist.prelabel(None, sample_id=leased.sample_id)
                    leased.prelabel, leased.class_guesses = outcome.mask, outcome.classes
                except LabelAssistError as error:
                    leased.prelabel_error = str(error)
            return leased
        return lease

    def renew_call(self) -> Call:
        """Extend the lease on the current sample; the new expiry, or None
        when the lease is gone."""
        client, annotator, sample_id = self.client, self.annotator, self.require_sample()
        return lambda: client.selector.renew_lease(sample_id, annotator)

    def lease_left(self, now: float | None = None) -> float | None:
        """Seconds left on the current lease (None when nothing is leased)."""
        if self.current is None or not self.current.leased or not self.current.expires_at:
            return None
        return self.current.expires_at - (time.time() if now is None else now)

    def needs_renewal(self, now: float | None = None) -> bool:
        """Less than half of the lease time is left."""
        left = self.lease_left(now)
        return left is not None and left < self.current.leased_for / 2

    def open_call(self, sample_id: int) -> Call:
        """Fetch any sample of the project (from the sample list), with its
        latest label: a submit stores the label's next version. No lease is
        taken."""
        selector = self.client.selector
        return lambda: fetched(selector.get_sample(sample_id), OPENED)

    def release_call(self, skip: bool, reason: str = "") -> Call:
        """Give the current sample back; with ``skip`` the strategy passes it
        over for this annotator."""
        client, annotator, sample_id = self.client, self.annotator, self.require_sample()
        return lambda: client.selector.release_sample(sample_id, annotator, skip=skip, reason=reason)

    def prelabel_call(self, method: str | None = None, instances: bool = True) -> Call:
        """Pre-label the current sample on the server (it reads the image from
        the selector: nothing is uploaded), one id per object unless not
        ``instances``."""
        client, sample_id = self.client, self.require_sample()
        return lambda: client.assist.prelabel(None, method, sample_id=sample_id, binary=not instances)

    def refine_call(self, mask: np.ndarray, scribbles: np.ndarray, method: str) -> Call:
        client, sample_id = self.client, self.require_sample()
        return lambda: client.assist.refine(None, scribbles, mask, method, sample_id=sample_id)

    def flood_fill_call(self, mask: np.ndarray, row: int, col: int) -> Call:
        seed = np.zeros(mask.shape, np.uint8)
        seed[row, col] = 1
        return self.refine_call(mask, seed, "flood_fill")

    def segment_call(self, clicks, mask: np.ndarray | None, offset: tuple[int, int] = (0, 0),
                     object_class: str = "") -> Call:
        """One object from the click tool's clicks (and its current mask, a
        crop at ``offset``), of ``object_class`` when the project has
        classes; the answer comes back as a crop too."""
        client, sample_id = self.client, self.require_sample()
        return lambda: client.assist.segment(None, clicks, mask=mask, sample_id=sample_id, crop_to_object=True,
                                      mask_offset=offset, object_class=object_class)

    def postprocess_call(self, mask: np.ndarray, steps: Sequence) -> Call:
        """Steps are names or (name, parameters), as ``postprocess`` takes them."""
        client, image = self.client, self.require_current().image
        return lambda: client.assist.postprocess(mask, list(steps), image=image)[0]

    def display_call(self, step: str) -> Call:
        client, image = self.client, self.require_current().image
        return lambda: client.assist.preprocess(image, [step])[0]

    def inspect_call(self, mask: np.ndarray, project: str = "") -> Call:
        """Inspect ``mask`` against the current image and pre-label, with the
        project's inspection settings; its objects' classes go along, so each
        is judged by its own class's bounds."""
        client, image, prelabel = self.client, self.require_current().image, self.prelabel
        object_classes = self.classes.submitted(mask)[0]
        return lambda: client.inspect.inspect(mask, image=image, prelabel=prelabel, project=project,
                                              object_classes=object_classes)

    def store_call(self, mask: np.ndarray, project: str = "") -> Call:
        """Store ``mask`` with its classes (:attr:`classes`) as the current
        sample's next label version; with ``project``, then record what
        became of the warnings shown for it (see
        :class:`~labelassist.client.finding_answers.FindingAnswers`)."""
        client, annotator, sample_id, origin = self.client, self.annotator, self.require_sample(), self.origin
        record = self.answers.submit_call(project, mask, annotator)
        object_classes, image_classes = self.classes.submitted(mask)
        return lambda: record(client.selector.submit_label(sample_id, annotator, mask, origin=origin,
                                                           object_classes=object_classes,
                                                           image_classes=image_classes))

    def train_call(self, project: str) -> Callable[[Callable[[Any], None]], Any]:
        """Train on the project's labels; the call reports each epoch to
        ``emit`` and returns the last event."""
        client = self.client

        def train(emit: Callable[[Any], None]):
            last = None
            for event in client.assist.train_status(client.assist.train(project=project)):
                emit(event)
                last = event
            return last
        return train

    # -- synchronous use ----------------------------------------------------

    def next(self, project: str) -> LeasedSample | None:
        """Lease the next sample and make it current."""
        self.show(self.lease_call(project)())
        return self.current

    def submit(self, mask: np.ndarray, project: str = "", inspect_first: bool = True) -> SubmitResult:
        """Store ``mask``; first inspect it unless the annotator has seen the
        inspection of exactly this mask. Warnings hold the submit; submitting
        the same mask again stores it."""
        if inspect_first and not self.has_seen_inspection_of(mask):
            held = self.accept_inspection(self.inspect_call(mask, project)(), mask)
            if held:
                return SubmitResult(held=held)
        return SubmitResult(version=self.store_call(mask, project)())

    def require_current(self) -> LeasedSample:
        if self.current is None:
            raise LookupError("no sample: lease one with Next first")
        return self.current

    def require_sample(self) -> int:
        return self.require_current().sample_id


__all__ = ["LabellingSession", "LeasedSample", "SubmitResult"]
