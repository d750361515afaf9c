"""The SDK and client install light: importing them pulls no heavy stack."""

import json
import os
import subprocess
import sys

HEAVY = ["torch", "skimage", "scipy", "tritonclient", "pytriton"]


def test_importing_the_sdk_and_cli_pulls_no_torch_scikit_image_or_triton():
    probe = ("import json, sys; import labelassist.client, labelassist.cli, labelassist.io.images, labelassist.io.dataset_folder; "
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_the_desktop_client_pulls_no_torch_scikit_image_or_triton():
    probe = ("import json, sys; import labelassist.client.gui.app; "
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}).stdout
    assert json.loads(out) == []


def test_base_requirements_name_none_of_the_heavy_packages():
    from importlib.metadata import requires

    base = [r for r in requires("label-assistant") if "extra ==" not in r]
    assert not [r for r in base if r.split()[0].split(">")[0].split("=")[0].lower()
                in {"torch", "scikit-image", "scipy", "tritonclient", "nvidia-pytriton"}]
