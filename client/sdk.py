"""``LabelAssistClient``: the three services with numpy in and out.

It holds one :class:`~labelassist.client.transport.Transport` (channels,
deadlines, retries with backoff while a service is UNAVAILABLE, the bearer
token and TLS, arrays in chunks) and one facade per service on it:
``client.selector``, ``client.assist`` and ``client.inspect``, plus
``client.transfer`` for labels in other tools' formats. Every facade method
is also a method of the client itself (``client.next_sample`` is
``client.selector.next_sample``), so scripts read either way. The CLI, the
desktop app, the napari widget and the browser gateway use it; so can any tool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from labelassist.client.addresses import ServiceAddresses
from labelassist.client.agreement_calls import Agreement
from labelassist.client.assist_calls import Assist
from labelassist.client.class_calls import Classes
from labelassist.client.inspect_calls import Inspect
from labelassist.client.selector_calls import Selector
from labelassist.client.transfer_calls import Transfer
from labelassist.client.transport import COMPRESSION, Transport


def shortcut(facade: str, method: Callable) -> Callable:
    """A client method that is ``method`` of the facade named ``facade``,
    with its signature and documentation."""
    name = method.__name__

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        return getattr(getattr(self, facade), name)(*args, **kwargs)
    return call


class LabelAssistClient:
    """One client for all three services.

    ``timeout`` is each call's deadline in seconds; ``retries`` how often a
    call is retried while the service is UNAVAILABLE, with exponential
    backoff from ``backoff`` seconds (jittered); a service that answered
    this client before is waited for across its restart, for up to
    ``timeout`` seconds (``retries=0``: never retried). A failed call raises a
    :class:`~labelassist.client.errors.LabelAssistError` of the status's
    family (``ServiceUnavailableError``, a ``ConnectionError``, when no
    service answers after the retries), naming the service and its address.

    ``addresses`` is where the services are: a :class:`ServiceAddresses`;
    a ``"host:port"`` string, the selector's address (assist and inspect
    are the running stack's that records this selector, else on the next
    two ports, as ``labelassist up --base-port`` lays them out); a dict
    with any of "selector", "assist", "inspect" (the others found as
    below); or None: found as ``labelassist status`` finds them (see
    :mod:`labelassist.client.addresses`). Anything else is a ``TypeError``
    saying what is accepted.

    Attributes
    ----------
    selector : Selector
        Projects, samples, leases, labels, reviews.
    assist : Assist
        Pre-processing, pre-labels, refinement, click-to-segment, training.
    inspect : Inspect
        Inspection of labels; calling it inspects one (``client.inspect(mask)``).
    transfer : Transfer
        Labels to and from files in other tools' formats.
    classes : Classes
        A project's class schema (its labels' classes go with ``submit_label``).
    transport : Transport
        The channels and call settings the facades share.
    """

    def __init__(
        self,
        addresses: ServiceAddresses | str | Mapping[str, str] | None = None,
        token: str | None = None,
        tls_root: str | Path | None = None,
        timeout: float = 120.0,
        retries: int = 5,
        backoff: float = 0.2,
        compression: str = "none",
    ):
        self.transport = Transport(addresses, token, tls_root, timeout, retries, backoff, compression)
        self.selector = Selector(self.transport)
        self.assist = Assist(self.transport)
        self.inspect = Inspect(self.transport)
        self.transfer = Transfer(self.selector)
        self.agreement = Agreement(self.transport)
        self.classes = Classes(self.transport)

    def __repr__(self) -> str:
        return f"LabelAssistClient({self.transport.describe()})"

    @property
    def addresses(self) -> ServiceAddresses:
        return self.transport.addresses

    @property
    def timeout(self) -> float:
        """Each call's deadline in seconds; may be raised for long batch work."""
        return self.transport.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.transport.timeout = seconds

    @property
    def compression(self) -> int:
        return self.transport.compression

    def health(self, timeout: float = 2.0) -> dict[str, str]:
        """Each service's health status name, or the error that stopped the check."""
        return self.transport.health(timeout)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> LabelAssistClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- shortcuts: ``client.X`` is ``client.<service>.X`` ---------------------

    list_strategies = shortcut("selector", Selector.list_strategies)
    create_project = shortcut("selector", Selector.create_project)
    list_projects = shortcut("selector", Selector.list_projects)
    get_project = shortcut("selector", Selector.get_project)
    delete_project = shortcut("selector", Selector.delete_project)
    rename_project = shortcut("selector", Selector.rename_project)
    delete_sample = shortcut("selector", Selector.delete_sample)
    set_inspection = shortcut("selector", Selector.set_inspection)
    set_assist = shortcut("selector", Selector.set_assist)
    register_dataset = shortcut("selector", Selector.register_dataset)
    add_sample = shortcut("selector", Selector.add_sample)
    add_samples = shortcut("selector", Selector.add_samples)
    next_sample = shortcut("selector", Selector.next_sample)
    next_samples = shortcut("selector", Selector.next_samples)
    release_sample = shortcut("selector", Selector.release_sample)
    renew_lease = shortcut("selector", Selector.renew_lease)
    get_sample = shortcut("selector", Selector.get_sample)
    submit_label = shortcut("selector", Selector.submit_label)
    review_label = shortcut("selector", Selector.review_label)
    answer_finding = shortcut("selector", Selector.answer_finding)
    finding_answers = shortcut("selector", Selector.finding_answers)
    undo_finding_answer = shortcut("selector", Selector.undo_finding_answer)
    label_history = shortcut("selector", Selector.label_history)
    list_samples = shortcut("selector", Selector.list_samples)
    iter_samples = shortcut("selector", Selector.iter_samples)
    samples_page = shortcut("selector", Selector.samples_page)
    progress = shortcut("selector", Selector.progress)
    record_training = shortcut("selector", Selector.record_training)
    export_labels = shortcut("selector", Selector.export_labels)

    list_operations = shortcut("assist", Assist.list_operations)
    list_prelabel_sources = shortcut("assist", Assist.list_prelabel_sources)
    preprocess = shortcut("assist", Assist.preprocess)
    prelabel = shortcut("assist", Assist.prelabel)
    prelabel_probability = shortcut("assist", Assist.prelabel_probability)
    refine = shortcut("assist", Assist.refine)
    postprocess = shortcut("assist", Assist.postprocess)
    segment = shortcut("assist", Assist.segment)
    predict_classes = shortcut("assist", Assist.predict_classes)
    train = shortcut("assist", Assist.train)
    train_status = shortcut("assist", Assist.train_status)

    list_criteria = shortcut("inspect", Inspect.list_criteria)
    calibration = shortcut("inspect", Inspect.calibration)
    rank_label_errors = shortcut("inspect", Inspect.rank_label_errors)
    inspect_batch = shortcut("inspect", Inspect.inspect_batch)

    download_labels = shortcut("transfer", Transfer.download_labels)
    download_annotator_labels = shortcut("transfer", Transfer.download_annotator_labels)

    set_overlap = shortcut("agreement", Agreement.set_overlap)
    build_consensus = shortcut("agreement", Agreement.build_consensus)
    adjudication_queue = shortcut("agreement", Agreement.adjudication_queue)
    adjudicate = shortcut("agreement", Agreement.adjudicate)
    annotator_quality = shortcut("agreement", Agreement.annotator_quality)
    agreement_over_time = shortcut("agreement", Agreement.agreement_over_time)
    import_labels = shortcut("transfer", Transfer.import_labels)
    set_class_schema = shortcut("classes", Classes.set_class_schema)
    class_schema = shortcut("classes", Classes.class_schema)


__all__ = ["COMPRESSION", "LabelAssistClient", "ServiceAddresses", "shortcut"]
