"""Triton python-backend model for promptable models of the SAM family
(Kirillov et al. 2023, "Segment Anything"), built with segment-anything's
own modeling code. One file serves both Triton models of an installed
checkpoint, as sam.json (written by ``labelassist.models.sam``) says:

- ``sam-NAME-encoder``: an image resized to a longest side of 1024 (RGB,
  0-255) -> its image embedding (256, 64, 64); SAM's own normalisation and
  padding (``Sam.preprocess``) run here. Run once per image.
- ``sam-NAME-decoder``: an embedding and point prompts -> mask logits at the
  image's size, SAM's IoU prediction and the low-resolution logits for the
  next click. segment-anything's ``SamOnnxModel`` (the wrapper it exports to
  ONNX with) does the work, so the inputs and outputs are those of SAM's
  ONNX export. Run per click.

Needs torch and segment-anything only (not torchvision); labelassist.models.sam
imports :func:`modeling` and the builders from here to check a checkpoint
before installing it, so this file is their one home.
"""

import importlib.util
import json
import os
import sys
import types

# The bundled server's stub ignores PYTHONPATH; labelassist passes its
# environment's paths here (unset in NVIDIA's container: no effect).
sys.path[:0] = [p for p in os.environ.get("LABELASSIST_TRITON_PYTHONPATH", "").split(":") if p]

import numpy as np  # noqa: E402

WEIGHT_FILES = {"encoder": "encoder.pt", "decoder": "decoder.pt"}
# Which checkpoint keys each part loads (segment-anything's Sam module names).
PART_MODULES = {"encoder": ("image_encoder",), "decoder": ("prompt_encoder", "mask_decoder")}
DECODER_INPUTS = ("image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input",
                  "orig_im_size")
DECODER_OUTPUTS = ("masks", "iou_predictions", "low_res_masks")


def modeling():
    """segment-anything's ``build_sam`` and ``SamOnnxModel``, imported without
    the package's ``__init__``: it imports the predictor, which needs
    torchvision (whose wheels must match torch's build exactly), while the
    modeling code needs torch alone. An empty package object stands in for
    ``segment_anything`` unless the real one is imported already."""
    if "segment_anything" not in sys.modules:
        spec = importlib.util.find_spec("segment_anything")
        if spec is None:
            raise ImportError("SAM-family models need segment-anything: pip install 'label-assistant[sam]' "
                              "(or `pip install segment-anything` in Triton's container)")
        package = types.ModuleType("segment_anything")
        package.__path__, package.__spec__ = list(spec.submodule_search_locations), spec
        sys.modules["segment_anything"] = package
    from segment_anything import build_sam
    from segment_anything.utils.onnx import SamOnnxModel

    return build_sam, SamOnnxModel


def build_network(architecture: dict, part: str):
    """The part of SAM that ``part`` names, at random initialisation, for an
    ``architecture`` of the image encoder (embed_dim, depth, num_heads,
    global_attn_indexes). The decoder is built with an empty encoder (depth
    0) that never runs: prompt encoder and mask decoder are the same for
    every encoder size."""
    build_sam, SamOnnxModel = modeling()
    sam = build_sam._build_sam(encoder_embed_dim=architecture["embed_dim"] if part == "encoder" else 16,
                               encoder_depth=architecture["depth"] if part == "encoder" else 0,
                               encoder_num_heads=architecture["num_heads"] if part == "encoder" else 1,
                               encoder_global_attn_indexes=architecture["global_attn_indexes"]
                               if part == "encoder" else (), checkpoint=None)
    return sam.eval() if part == "encoder" else SamOnnxModel(sam, return_single_mask=True).eval()


def load_part(network, state: dict, part: str) -> None:
    """``state`` (a checkpoint's keys of ``part``) into the network, strictly."""
    sam = network if part == "encoder" else network.model
    for module in PART_MODULES[part]:
        prefix = module + "."
        getattr(sam, module).load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)},
                                             strict=True)


class TritonPythonModel:
    def initialize(self, args):
        import torch

        directory = os.path.join(args["model_repository"], args["model_version"])
        with open(os.path.join(directory, "sam.json")) as handle:
            self.meta = json.load(handle)
        self.part = self.meta["part"]
        gpu = args.get("model_instance_kind") == "GPU" and torch.cuda.is_available()
        self.device = torch.device(f"cuda:{args.get('model_instance_device_id', 0)}" if gpu else "cpu")
        self.network = build_network(self.meta["architecture"], self.part)
        load_part(self.network, torch.load(os.path.join(directory, WEIGHT_FILES[self.part]), map_location="cpu",
                                           weights_only=True), self.part)
        self.network.to(self.device)

    def encode(self, request):
        import torch
        import triton_python_backend_utils as pb_utils

        image = torch.from_numpy(pb_utils.get_input_tensor_by_name(request, "INPUT").as_numpy()).to(self.device)
        with torch.no_grad():
            embedding = self.network.image_encoder(self.network.preprocess(image.float()))
        return [pb_utils.Tensor("EMBEDDING", embedding.cpu().numpy().astype(np.float32))]

    def decode(self, request):
        import torch
        import triton_python_backend_utils as pb_utils

        inputs = [torch.from_numpy(pb_utils.get_input_tensor_by_name(request, name).as_numpy()).float()
                  .to(self.device) for name in DECODER_INPUTS]
        with torch.no_grad():
            outputs = self.network(*inputs)
        return [pb_utils.Tensor(name, output.cpu().numpy().astype(np.float32))
                for name, output in zip(DECODER_OUTPUTS, outputs)]

    def execute(self, requests):
        import triton_python_backend_utils as pb_utils

        run = self.encode if self.part == "encoder" else self.decode
        return [pb_utils.InferenceResponse(run(request)) for request in requests]
