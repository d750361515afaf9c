"""Triton python-backend model: the weights of a BioImage.IO package
(TorchScript through torch, ONNX through onnxruntime). Self-contained, so
NVIDIA's container needs only torch or onnxruntime.

Batches arrive as (N, 1, y, x) windows already pre-processed as the package
declares, and leave as (N, channels, y, x) raw outputs; package.json (written
by labelassist.models.bioimage) gives the network's own axis order.
"""

import json
import os
import sys

# The bundled server's stub ignores PYTHONPATH; labelassist passes its
# environment's paths here (unset in NVIDIA's container: no effect).
sys.path[:0] = [p for p in os.environ.get("LABELASSIST_TRITON_PYTHONPATH", "").split(":") if p]

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402

OURS = "bcyx"


def reorder(array, source, target):
    """``array`` with axes ``source`` (letters of bcyx) as axes ``target``:
    axes missing from ``target`` (size 1) dropped, missing ones added."""
    for axis in [a for a in source if a not in target]:
        array = array.squeeze(source.index(axis))
        source = source.replace(axis, "")
    for axis in [a for a in target if a not in source]:
        array = array[..., None]
        source += axis
    return np.ascontiguousarray(array.transpose([source.index(a) for a in target]))


# Batch work (scoring, ranking, measuring: every request of a call marked
# "labelassist_batch" by labelassist.models.triton) runs on half the cores,
# an annotator's request on all of them: on a CPU server the clicks and
# pre-labels of the other models' processes keep a core.
BATCH_PARAMETER = "labelassist_batch"


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
        with open(os.path.join(directory, "package.json")) as handle:
            self.package = json.load(handle)
        gpu = args.get("model_instance_kind") == "GPU"
        if self.package["weights"] == "torchscript":
            import torch

            self.device = torch.device(f"cuda:{args.get('model_instance_device_id', 0)}"
                                       if gpu and torch.cuda.is_available() else "cpu")
            self.network = torch.jit.load(os.path.join(directory, "model.pt"), map_location=self.device).eval()
            self.run_once = self._torchscript
            self.threads = torch.get_num_threads() if self.device.type == "cpu" else 0
        else:
            import onnxruntime

            providers = (["CUDAExecutionProvider"] if gpu else []) + ["CPUExecutionProvider"]
            self.session = onnxruntime.InferenceSession(os.path.join(directory, "model.onnx"), providers=[
                p for p in providers if p in onnxruntime.get_available_providers()])
            self.input_name = self.session.get_inputs()[0].name
            self.run_once = self._onnx

    def _torchscript(self, array):
        import torch

        with torch.no_grad():
            output = self.network(torch.from_numpy(array).to(self.device))
        if isinstance(output, (tuple, list)):
            output = output[0]
        return output.float().cpu().numpy()

    def _onnx(self, array):
        return np.asarray(self.session.run(None, {self.input_name: array})[0], np.float32)

    def forward(self, batch):
        if "b" not in self.package["input_axes"]:  # a network without a batch axis takes one window at a time
            return np.concatenate([self.forward(batch[i:i + 1]) for i in range(len(batch))]) if len(batch) > 1 \
                else self._through(batch)
        return self._through(batch)

    def _through(self, batch):
        output = self.run_once(reorder(batch, OURS, self.package["input_axes"]))
        return reorder(output, self.package["output_axes"], OURS).astype(np.float32)

    def execute(self, requests):
        if getattr(self, "threads", 0):
            import torch

            torch.set_num_threads(cpu_threads(requests, self.threads))
        responses = []
        for request in requests:
            batch = pb_utils.get_input_tensor_by_name(request, "INPUT").as_numpy().astype(np.float32)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT", self.forward(batch))]))
        return responses
