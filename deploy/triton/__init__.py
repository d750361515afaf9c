"""The Triton model repository template (installed as labelassist.triton_template).

Standard layout: ``unet/config.pbtxt`` and, per published version,
``unet/<version>/{model.py, model.pt, meta.json}``, and the same for the
click model ``clicknet``; ``bioimageio/model.py`` serves every BioImage.IO
package added with ``labelassist model add`` (``bioimageio-<name>/<version>/``). Any Triton serves it: the
CPU binary from the nvidia-pytriton wheel, or NVIDIA's GPU container.
"""
