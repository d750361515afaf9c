"""Triton scaled out: the services' Triton client spreads calls over every
replica a URL names, skips one that dies, and model control reaches each."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tritonclient.grpc")

from labelassist.models import CLICK_MODEL_NAME  # noqa: E402
from labelassist.models import repository as model_store  # noqa: E402
from labelassist.models.triton import TritonClient  # noqa: E402
from labelassist.models.tritonserver import LocalTriton  # noqa: E402
from labelassist.stack import local_triton_available  # noqa: E402

pytestmark = pytest.mark.skipif(not local_triton_available(), reason="needs the bundled tritonserver")


@pytest.fixture(scope="module")
def two_tritons(tmp_path_factory):
    """Two tritonservers serving the bundled click model from one repository."""
    root = tmp_path_factory.mktemp("replicas")
    repository = root / "models"
    model_store.ensure_repository(repository, CLICK_MODEL_NAME)
    model_store.install_generalist(repository)
    servers = [LocalTriton(repository, root / f"run{i}", tcp=True) for i in range(2)]
    try:
        for server in servers:
            server.start(models=[CLICK_MODEL_NAME])
        yield servers
    finally:
        for server in servers:
            server.stop()


def _successes(server: LocalTriton) -> int:
    import tritonclient.grpc as triton

    statistics = triton.InferenceServerClient(server.url).get_inference_statistics(CLICK_MODEL_NAME, as_json=True)
    return sum(int(s["inference_stats"]["success"].get("count", 0)) for s in statistics["model_stats"])


def test_loading_a_model_reaches_every_replica(two_tritons):
    import tritonclient.grpc as triton

    url = ",".join(server.url for server in two_tritons)
    for server in two_tritons:
        triton.InferenceServerClient(server.url).unload_model(CLICK_MODEL_NAME)
    assert model_store.served_versions(url, CLICK_MODEL_NAME) == set()
    model_store.load_into_triton(url, CLICK_MODEL_NAME)
    assert [model_store.served_versions(s.url, CLICK_MODEL_NAME) for s in two_tritons] == [{1}, {1}]
    assert model_store.served_versions(url, CLICK_MODEL_NAME) == {1}


def test_calls_spread_over_both_replicas_and_go_on_when_one_is_killed(two_tritons):
    client = TritonClient(",".join(server.url for server in two_tritons))
    window = np.zeros((1, 4, 64, 64), np.float32)
    before = [_successes(server) for server in two_tritons]
    for _ in range(40):
        assert client.click_probability(window).shape == (1, 64, 64)
    shares = [_successes(server) - done for server, done in zip(two_tritons, before)]
    assert sum(shares) == 40 and min(shares) >= 16, shares  # within 60/40

    two_tritons[0].process.kill()
    two_tritons[0].process.wait()
    answered = [client.click_probability(window).shape for _ in range(20)]
    assert answered == [(1, 64, 64)] * 20
