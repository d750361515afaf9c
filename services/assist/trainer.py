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
from labelassist.assist.training import TrainingRequest, run_training, training_recorder
from labelassist.runtime.links.selector import SelectorLink

logger = logging.getLogger("labelassist.trainer")


def run_one(registry: jobs.JobRegistry, model_repository: Path, triton_url: str | None,
            selector_address: str | None = None, token: str | None = None) -> str | None:
    """Run the oldest queued job to its end; its id, or None when none is
    queued (or another runner holds the training lock)."""
    claimed = registry.claim()
    if claimed is None:
        return None
    job, described, lock = claimed
    pairs = registry.folder / f"{job.id}.npz"

    def work(job: jobs.Job) -> int:
        request = TrainingRequest(**described)
        if request.project:
            request.pairs = TrainingRequest.load_pairs(pairs)
        record = training_recorder(SelectorLink(selector_address, "trainer"), request, token) \
            if selector_address else None
        return run_training(request, model_repository, triton_url, job, record)

    try:
        jobs.run_to_end(job, work, lock)
    finally:
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
