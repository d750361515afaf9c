"""``labelassist trainer``: runs the training jobs that assist replicas
started with ``--training-runner queue`` put in the shared journal, one at
a time, in a process of its own: on the GPU node, as a Kubernetes Job, away
from the replicas that answer annotators. Progress goes to the journal, so
``TrainStatus`` on any assist replica follows the job."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from labelassist.assist import jobs
from labelassist.assist.training import TrainingRequest, run_training
from labelassist.models import MODEL_NAME

logger = logging.getLogger("labelassist.trainer")


def _recorder(selector_address: str | None, project: str, token: str | None):
    """Tells the project's selector of a U-Net trained on its labels (a point
    of its learning curve), with the trainer's own token."""
    if not selector_address:
        return None
    from labelassist.runtime.upstream import SelectorLink

    def record(version: int, labels: int, dice: float) -> None:
        with SelectorLink(selector_address, "trainer").client(token) as selector:
            selector.record_training(project, MODEL_NAME, version, labels, dice)
    return record


def run_one(registry: jobs.JobRegistry, model_repository: Path, triton_url: str | None,
            selector_address: str | None = None, token: str | None = None) -> str | None:
    """Run the oldest queued job to its end; its id, or None when none is
    queued (or another runner holds the training lock)."""
    claimed = registry.claim()
    if claimed is None:
        return None
    job, described, lock = claimed
    pairs = registry.folder / f"{job.id}.npz"
    try:
        request = TrainingRequest(**described)
        if request.project:
            request.pairs = TrainingRequest.load_pairs(pairs)
        record = _recorder(selector_address, request.project, token) \
            if request.project and request.model == MODEL_NAME else None
        version = run_training(request, model_repository, triton_url, job, record)
        job.record(jobs.Event(jobs.SUCCEEDED, model_version=version, message=f"published version {version}"))
    except Exception as error:  # noqa: BLE001 - reported to the watchers, logged in full
        logger.exception("training job %s failed", job.id)
        job.record(jobs.Event(jobs.FAILED, message=f"{type(error).__name__}: {error}"))
    finally:
        lock.close()
        pairs.unlink(missing_ok=True)
    return job.id


def run_queued(data_dir: Path, triton_url: str | None = None, selector_address: str | None = None,
               token: str | None = None, once: bool = False, poll_seconds: float = 5.0) -> int:
    """Run queued jobs as they come (``once``: those queued now, then return);
    how many ran."""
    registry = jobs.JobRegistry(Path(data_dir) / "jobs")
    ran = 0
    while True:
        job_id = run_one(registry, Path(data_dir) / "models", triton_url, selector_address, token)
        if job_id is not None:
            ran += 1
            logger.info("training job %s ended", job_id)
            continue
        if once:
            return ran
        time.sleep(poll_seconds)
