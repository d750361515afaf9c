"""Triton python-backend model: a TorchScript U-Net with optional Monte-Carlo
dropout. Self-contained, so NVIDIA's container needs only torch."""

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

# The bundled server's stub ignores PYTHONPATH; labelassist passes its
# environment's paths here (unset in NVIDIA's container: no effect).
sys.path[:0] = [p for p in os.environ.get("LABELASSIST_TRITON_PYTHONPATH", "").split(":") if p]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402
from torch.nn import functional as F  # noqa: E402


# Batch work (scoring, ranking, measuring: every request of a call marked
# "labelassist_batch" by labelassist.models.triton) runs on half the cores
# and in a thread of lower CPU priority (its torch worker threads inherit
# it), an annotator's request on all of them at normal priority: on a CPU
# server the clicks and pre-labels of the other models' processes keep a core.
BATCH_PARAMETER = "labelassist_batch"
BATCH_NICE = 10  # labelassist.runtime.priority.BATCH_NICE


def _lower_this_thread():
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BATCH_NICE)
    except (AttributeError, OSError):  # not Linux, or forbidden: normal priority
        pass


def _is_batch(request) -> bool:
    read = getattr(request, "parameters", None)
    try:
        return bool(json.loads(read() or "{}").get(BATCH_PARAMETER)) if read else False
    except ValueError:
        return False


def cpu_threads(requests, all_threads: int) -> int:
    """Threads for this execution: half of ``all_threads`` when every request is batch work."""
    return max(1, all_threads // 2) if requests and all(_is_batch(r) for r in requests) else all_threads


class TritonPythonModel:
    def initialize(self, args):
        directory = os.path.join(args["model_repository"], args["model_version"])
        use_gpu = args.get("model_instance_kind") == "GPU" and torch.cuda.is_available()
        self.device = torch.device(f"cuda:{args.get('model_instance_device_id', 0)}" if use_gpu else "cpu")
        self.model = torch.jit.load(os.path.join(directory, "model.pt"), map_location=self.device).eval()
        self.dropouts = [m for m in self.model.modules() if getattr(m, "original_name", "") == "Dropout2d"]
        with open(os.path.join(directory, "meta.json")) as handle:
            self.meta = json.load(handle)
        self.threads = torch.get_num_threads()
        # One thread for batch executions, lowered once: a thread cannot raise its priority back.
        self.batch_thread = ThreadPoolExecutor(1, thread_name_prefix="batch", initializer=_lower_this_thread)

    def _passes(self, batch, samples):
        if samples <= 1:
            self.model.eval()
            logits, embedding = self.model(batch)
            probabilities = F.softmax(logits, dim=1)
            return probabilities, torch.zeros_like(probabilities), embedding, torch.zeros_like(probabilities[:, 0])
        for dropout in self.dropouts:
            dropout.train()
        try:
            runs = [self.model(batch) for _ in range(samples)]
        finally:
            self.model.eval()
        probabilities = torch.stack([F.softmax(logits, dim=1) for logits, _ in runs])
        embedding = torch.stack([e for _, e in runs]).mean(0)
        mean = probabilities.mean(0)
        # BALD (Houlsby et al. 2011): entropy of the mean minus the mean entropy;
        # labelassist.imaging.uncertainty.mutual_information, repeated here so the
        # model runs without labelassist (tests/test_strategies.py holds them equal).
        entropy_of_mean = -(mean * torch.log(mean + 1e-12)).sum(1)
        mean_entropy = -(probabilities * torch.log(probabilities + 1e-12)).sum(2).mean(0)
        return mean, probabilities.var(0, unbiased=False), embedding, entropy_of_mean - mean_entropy

    def execute(self, requests):
        if self.device.type == "cpu" and cpu_threads(requests, self.threads) < self.threads:
            return self.batch_thread.submit(self._execute, requests, max(1, self.threads // 2)).result()
        return self._execute(requests, self.threads)

    def finalize(self):
        self.batch_thread.shutdown(wait=True)

    def _execute(self, requests, threads):
        if self.device.type == "cpu":
            torch.set_num_threads(threads)
        images, samples = [], []
        for request in requests:
            images.append(pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy())
            mc = pb_utils.get_input_tensor_by_name(request, "MC_SAMPLES")
            samples.append(int(mc.as_numpy().ravel()[0]) if mc is not None else 0)
        # Requests that the dynamic batcher gathered run as one forward pass
        # when their shapes and Monte-Carlo settings agree.
        groups = {}
        for index, (image, count) in enumerate(zip(images, samples)):
            groups.setdefault((image.shape[1:], count), []).append(index)
        outputs = [None] * len(requests)
        with torch.no_grad():
            for (_, count), members in groups.items():
                batch = torch.from_numpy(np.concatenate([images[i] for i in members])).to(self.device)
                probability, variance, embedding, bald = (t.cpu().numpy() for t in self._passes(batch, count))
                start = 0
                for i in members:
                    size = images[i].shape[0]
                    outputs[i] = pb_utils.InferenceResponse([
                        pb_utils.Tensor("PROBABILITY", probability[start:start + size]),
                        pb_utils.Tensor("VARIANCE", variance[start:start + size]),
                        pb_utils.Tensor("EMBEDDING", embedding[start:start + size]),
                        pb_utils.Tensor("BALD", bald[start:start + size])])
                    start += size
        return outputs
