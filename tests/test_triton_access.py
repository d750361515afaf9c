"""The stack's Triton admits only the services: model control and inference
without the stack's secret are refused, with it they work, and pre-labels
through the stack still use the U-Net."""

from __future__ import annotations

import stat

import grpc
import numpy as np
import pytest

pytest.importorskip("tritonclient")
from tritonclient.utils import InferenceServerException  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.models.triton_access import connect, read_secret, secret_file  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def triton_url(generalist_stack):
    if not generalist_stack.triton_url:
        pytest.skip(f"the stack runs no Triton here: {generalist_stack.triton_problem}")
    return generalist_stack.triton_url


@pytest.fixture(scope="module")
def secret(generalist_stack):
    return read_secret(secret_file(generalist_stack.data_dir))


def refused(call) -> bool:
    try:
        call()
    except InferenceServerException as error:
        return "restricted" in str(error)
    return False


def test_the_secret_file_is_readable_by_its_owner_only(generalist_stack, triton_url):
    mode = stat.S_IMODE(secret_file(generalist_stack.data_dir).stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("call", ["load_model", "unload_model"])
def test_model_control_without_the_secret_is_refused_and_the_unet_stays(triton_url, secret, call):
    stranger = connect(triton_url, secret="")
    assert refused(lambda: getattr(stranger, call)("unet"))
    assert connect(triton_url, secret).is_model_ready("unet")


def test_a_model_file_sent_without_the_secret_is_not_run(triton_url, tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nclass TritonPythonModel:\n    pass\n"
    stranger = connect(triton_url, secret="wrong")
    assert refused(lambda: stranger.load_model("intruder", config='{"backend": "python"}',
                                               files={"file:1/model.py": code.encode()}))
    assert not marker.exists()


def test_inference_and_the_repository_index_without_the_secret_are_refused(triton_url):
    stranger = connect(triton_url, secret="")
    assert refused(lambda: stranger.get_model_repository_index())
    assert refused(lambda: stranger.get_model_metadata("unet"))


def test_with_the_secret_model_control_works(triton_url, secret):
    services = connect(triton_url, secret)
    services.load_model("unet")
    assert services.is_model_ready("unet")
    assert any(m["name"] == "unet" for m in services.get_model_repository_index(as_json=True)["models"])


def test_unet_prelabels_through_the_stack_still_work(generalist_stack, triton_url):
    image = np.full((128, 128), 300, np.uint16)
    image[30:60, 30:60] = 2000
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as client:
        outcome = client.prelabel(image, method="unet")
    assert outcome.method == "unet" and outcome.mask.shape == image.shape


def test_a_service_without_the_secret_is_told_which_variable_to_set(start_service, triton_url):
    from labelassist.client.errors import LabelAssistError

    assist = start_service("assist", "--triton-url", triton_url)
    image = np.full((64, 64), 300, np.uint16)
    with LabelAssistClient(ServiceAddresses(assist.address, assist.address, assist.address), retries=0,
                           timeout=60) as client:
        with pytest.raises(LabelAssistError) as raised:
            client.prelabel(image, method="unet")
    assert raised.value.status == grpc.StatusCode.FAILED_PRECONDITION
    assert "LABELASSIST_TRITON_SECRET_FILE" in raised.value.message
