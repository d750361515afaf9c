"""Triton python-backend model: the TorchScript click model. Requests the
dynamic batcher gathers run as one forward pass. Self-contained, so
NVIDIA's container needs only torch."""

import os
import sys

# The bundled server's stub ignores PYTHONPATH; labelassist passes its
# environment's paths here (unset in NVIDIA's container: no effect).
sys.path[:0] = [p for p in os.environ.get("LABELASSIST_TRITON_PYTHONPATH", "").split(":") if p]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402
from torch.nn import functional as F  # noqa: E402


class TritonPythonModel:
    def initialize(self, args):
        directory = os.path.join(args["model_repository"], args["model_version"])
        use_gpu = args.get("model_instance_kind") == "GPU" and torch.cuda.is_available()
        self.device = torch.device(f"cuda:{args.get('model_instance_device_id', 0)}" if use_gpu else "cpu")
        self.model = torch.jit.load(os.path.join(directory, "model.pt"), map_location=self.device).eval()

    def execute(self, requests):
        inputs = [pb_utils.get_input_tensor_by_name(r, "INPUT").as_numpy() for r in requests]
        groups = {}
        for index, array in enumerate(inputs):
            groups.setdefault(array.shape[1:], []).append(index)
        outputs = [None] * len(requests)
        with torch.no_grad():
            for members in groups.values():
                batch = torch.from_numpy(np.concatenate([inputs[i] for i in members])).to(self.device)
                logits, _ = self.model(batch)
                probability = F.softmax(logits, dim=1)[:, 1].cpu().numpy()
                start = 0
                for i in members:
                    size = inputs[i].shape[0]
                    outputs[i] = pb_utils.InferenceResponse(
                        [pb_utils.Tensor("PROBABILITY", probability[start:start + size])])
                    start += size
        return outputs
