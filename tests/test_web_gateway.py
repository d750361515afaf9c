"""The browser gateway over HTTP, as ``labelassist up`` serves it: the
same tokens and roles as the services, their refusals as HTTP statuses
with their messages, bounded bodies, no cross-origin access, a strict
content-security policy, and labels that arrive lossless."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient
from labelassist.client.web.arrays import FRAMED_TYPE, display_image, sample_percentiles, unframed

pytestmark = pytest.mark.slow


@pytest.fixture
def http(web_stack):
    with httpx.Client(base_url=web_stack.web_url, timeout=60) as session:
        yield session


def bearer(web_stack, name: str) -> dict[str, str]:
    return {"authorization": f"Bearer {web_stack.tokens[name]}"}


def label_headers(shape, dtype="uint16") -> dict[str, str]:
    return {"x-array-shape": ",".join(map(str, shape)), "x-array-dtype": dtype,
            "content-type": "application/octet-stream"}


def lease(http, web_stack, project: str, who: str = "anna") -> dict:
    answer = http.post(f"/api/projects/{project}/next", json={}, headers=bearer(web_stack, who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_page_and_the_api_carry_a_strict_content_security_policy(http, web_stack):
    for response in (http.get("/"), http.get("/app.js"), http.get("/api/projects", headers=bearer(web_stack, "anna"))):
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script src="app.js">' in http.get("/").text


def test_no_other_origin_is_allowed_to_read_the_api(http, web_stack):
    foreign = {"origin": "https://evil.example", **bearer(web_stack, "anna")}
    preflight = http.options("/api/projects", headers={**foreign, "access-control-request-method": "GET"})
    answer = http.get("/api/projects", headers=foreign)
    for response in (preflight, answer):
        assert not any(name.startswith("access-control-") for name in response.headers)


def test_a_wrong_or_malformed_token_is_401_with_the_services_message(http):
    wrong = http.get("/api/projects", headers={"authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["status"] == "UNAUTHENTICATED"
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    malformed = http.get("/api/projects", headers={"authorization": "Basic YWxpY2U6eA=="})
    assert malformed.status_code == 401 and "Bearer <token>" in malformed.json()["error"]
    assert http.get("/api/projects").status_code == 401


def test_a_body_past_the_bound_is_413_before_it_is_read(web_stack):
    host, port = web_stack.children["web"].address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"POST /api/samples/1/label HTTP/1.1\r\nHost: {host}\r\nContent-Length: {1 << 40}\r\n"
                           f"Authorization: Bearer {web_stack.tokens['anna']}\r\n\r\n".encode() + b"x" * 16)
        answer = b""
        while b"}" not in answer and (part := connection.recv(65536)):
            answer += part
        answer = answer.decode()
    assert answer.startswith("HTTP/1.1 413") and "larger than" in answer


def test_a_gzip_body_that_unpacks_past_the_bound_is_413(web_stack):
    from starlette.testclient import TestClient

    from labelassist.client.web.app import create_app

    bomb = gzip.compress(bytes(1 << 20))
    with TestClient(create_app(web_stack.addresses, max_body_bytes=64 << 10)) as gateway:
        answer = gateway.post("/api/samples/1/label", content=bomb,
                              headers={**bearer(web_stack, "anna"), **label_headers((1024, 1024), "uint8"),
                                       "content-encoding": "gzip"})
        streamed = gateway.post("/api/samples/1/label", content=iter([bytes(40 << 10)] * 3),
                                headers={**bearer(web_stack, "anna"), **label_headers((64, 64), "uint8")})
    assert answer.status_code == 413 and "unpacks to more than" in answer.json()["error"]
    assert streamed.status_code == 413


def test_a_label_goes_in_lossless_and_a_retry_stores_it_once(http, web_stack, web_project):
    sample = lease(http, web_stack, web_project)
    mask = http.get(f"/api/samples/{sample['sample_id']}/mask", headers=bearer(web_stack, "anna"))
    shape = tuple(map(int, mask.headers["x-array-shape"].split(",")))
    label = np.zeros(shape, np.uint16)
    label[10:40, 20:60] = 300
    label[100:120, 5:9] = 65535
    body = gzip.compress(label.astype("<u2").tobytes())
    url = f"/api/samples/{sample['sample_id']}/label?annotator=anna"
    headers = {**bearer(web_stack, "anna"), **label_headers(shape), "content-encoding": "gzip"}
    first = http.post(url, content=body, headers=headers)
    again = http.post(url, content=body, headers={**headers, "x-submit-retry": "1"})
    assert first.status_code == 200 and first.json()["stored_now"], first.text
    assert again.json() == {"version": first.json()["version"], "stored_now": False}
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        np.testing.assert_array_equal(admin.get_sample(sample["sample_id"], with_image=False).require("label"), label)
        assert len(admin.label_history(sample["sample_id"])) == 1


def test_a_reviewer_cannot_submit(http, web_stack, web_project):
    sample = lease(http, web_stack, web_project)
    refused = http.post(f"/api/samples/{sample['sample_id']}/label", content=bytes(256 * 256),
                        headers={**bearer(web_stack, "rita"), **label_headers((256, 256), "uint8")})
    assert refused.status_code == 403
    assert "'rita' may not submit" in refused.json()["error"] and refused.json()["status"] == "PERMISSION_DENIED"


def test_the_review_queue_gives_labelled_samples_without_a_verdict_in_order(http, web_stack, web_project):
    rita, queue = bearer(web_stack, "rita"), f"/api/projects/{web_project}/review"
    assert http.get(queue, headers=rita).json() == {"exhausted": True}, "nothing labelled yet"
    sample = lease(http, web_stack, web_project)
    stored = http.post(f"/api/samples/{sample['sample_id']}/label", content=bytes(256 * 256),
                       headers={**bearer(web_stack, "anna"), **label_headers((256, 256), "uint8")})
    assert stored.status_code == 200, stored.text
    first = http.get(queue, headers=rita).json()
    assert first["sample_id"] == sample["sample_id"] and first["labeled"] and first["review"] == ""
    assert http.get(queue, params={"after": sample["sample_id"]}, headers=rita).json() == {"exhausted": True}
    verdict = http.post(f"/api/samples/{sample['sample_id']}/review", headers=rita,
                        json={"accept": True, "comment": "fine"})
    assert verdict.json()["review"] == "accepted"
    assert http.get(queue, headers=rita).json() == {"exhausted": True}, "a verdict takes it off the queue"
    assert http.get(queue, params={"after": "x"}, headers=rita).status_code == 400


def test_another_annotators_lease_cannot_be_submitted_renewed_or_released(http, web_stack, web_project):
    sample = lease(http, web_stack, web_project, "anna")
    base = f"/api/samples/{sample['sample_id']}"
    submitted = http.post(f"{base}/label", content=bytes(256 * 256),
                          headers={**bearer(web_stack, "ben"), **label_headers((256, 256), "uint8")})
    assert submitted.status_code == 409 and "anna" in submitted.json()["error"], submitted.text
    renewed = http.post(f"{base}/renew", json={}, headers=bearer(web_stack, "ben"))
    released = http.post(f"{base}/release", json={}, headers=bearer(web_stack, "ben"))
    assert renewed.json()["renewed"] is False
    assert released.status_code == 409 and released.json()["error"] == (
        f"sample {sample['sample_id']} is leased to 'anna', not 'ben'")
    acting_as = http.post(f"{base}/renew", json={"annotator": "anna"}, headers=bearer(web_stack, "ben"))
    assert acting_as.status_code == 403 and "cannot act as 'anna'" in acting_as.json()["error"]


def test_forged_and_malformed_sample_ids_are_refused_by_name(http, web_stack):
    missing = http.get("/api/samples/987654321/mask", headers=bearer(web_stack, "anna"))
    assert missing.status_code == 404 and "987654321" in missing.json()["error"]
    malformed = http.get("/api/samples/-1/mask", headers=bearer(web_stack, "anna"))
    assert malformed.status_code == 400 and "positive integer" in malformed.json()["error"]


def test_a_label_that_does_not_match_its_headers_is_400_saying_why(http, web_stack, web_project):
    sample = lease(http, web_stack, web_project)
    answer = http.post(f"/api/samples/{sample['sample_id']}/label", content=bytes(10),
                       headers={**bearer(web_stack, "anna"), **label_headers((256, 256), "uint16")})
    assert answer.status_code == 400 and "131072 bytes; the body has 10" in answer.json()["error"]
    wrong_type = http.post(f"/api/samples/{sample['sample_id']}/label", content=bytes(8),
                           headers={**bearer(web_stack, "anna"), **label_headers((2, 2), "float32")})
    assert wrong_type.status_code == 400 and "X-Array-Dtype" in wrong_type.json()["error"]


def view_of(answer: httpx.Response) -> tuple[dict, np.ndarray]:
    """The sample and the 8-bit view of a view answer."""
    assert answer.status_code == 200, answer.text
    shape = tuple(int(n) for n in answer.headers["x-array-shape"].split(","))
    assert answer.headers["x-array-dtype"] == "uint8" and answer.headers["content-type"] == FRAMED_TYPE
    sample, pixels = unframed(answer.content)
    return sample, np.frombuffer(pixels, np.uint8).reshape(shape)


def test_next_leases_and_answers_the_image_as_the_view_shows_it_in_one_round_trip(http, web_stack, web_project):
    answer = http.post(f"/api/projects/{web_project}/next", json={"annotator": "anna", "view": True},
                       headers=bearer(web_stack, "anna"))
    sample, view = view_of(answer)
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        image = admin.get_sample(sample["sample_id"]).require("image")
    assert view.shape == image.shape and answer.headers["x-image-dtype"] == image.dtype.name
    np.testing.assert_array_equal(view, display_image(image))
    assert view.min() == 0 and view.max() == 255, "stretched between the image's percentiles"
    assert sample["project"] == web_project and sample["lease_expires_at"] > time.time()
    steps = [step.split(";")[0] for step in answer.headers["server-timing"].split(", ")]
    assert sorted(steps) == ["compress", "lease", "sample", "schema", "view"], "where its time went, by step"
    again, _ = view_of(http.get(f"/api/samples/{sample['sample_id']}/view", headers=bearer(web_stack, "anna")))
    assert again["sample_id"] == sample["sample_id"]


def test_the_starting_mask_is_begun_when_next_leases_and_given_to_that_caller_alone(http, web_stack, web_project):
    """Next begins the sample's pre-label beside the lease; the page's mask
    request by the same caller takes it ("lease"), anyone else's, or a second
    request, has it made then ("request"), and all get the same mask."""
    answer = http.post(f"/api/projects/{web_project}/next", json={"annotator": "anna", "view": True},
                       headers=bearer(web_stack, "anna"))
    sample, _ = view_of(answer)
    url = f"/api/samples/{sample['sample_id']}/mask"
    other = http.get(url, headers=bearer(web_stack, "admin"))
    begun = http.get(url, headers=bearer(web_stack, "anna"))
    again = http.get(url, headers=bearer(web_stack, "anna"))
    assert [r.status_code for r in (other, begun, again)] == [200, 200, 200]
    assert [r.headers["x-mask-begun"] for r in (other, begun, again)] == ["request", "lease", "request"]
    assert begun.headers["x-mask-source"] == "computed" and begun.content == again.content == other.content
    http.post(f"/api/samples/{sample['sample_id']}/release", json={"annotator": "anna"},
              headers=bearer(web_stack, "anna"))


def test_next_gives_the_open_sample_back_first_so_the_last_one_comes_again(http, web_stack, web_project):
    first = lease(http, web_stack, web_project)
    second = lease(http, web_stack, web_project, "ben")
    assert lease(http, web_stack, web_project, "ben")["sample_id"] == second["sample_id"], "one lease each"
    answer = http.post(f"/api/projects/{web_project}/next", headers=bearer(web_stack, "anna"),
                       json={"annotator": "anna", "view": True, "give_back": first["sample_id"], "skip": True})
    again, _ = view_of(answer)
    assert again["sample_id"] == first["sample_id"], "given back, it is the only one left"
    forged = http.post(f"/api/projects/{web_project}/next", headers=bearer(web_stack, "anna"),
                       json={"annotator": "anna", "give_back": "1; drop"})
    assert forged.status_code == 400 and "give_back" in forged.json()["error"]


def test_a_lease_ahead_of_the_open_sample_is_another_one_held_as_well(http, web_stack, web_project):
    first = lease(http, web_stack, web_project)
    answer = http.post(f"/api/projects/{web_project}/next", headers=bearer(web_stack, "anna"),
                       json={"annotator": "anna", "view": True, "ahead_of": first["sample_id"]})
    ahead, _ = view_of(answer)
    assert ahead["sample_id"] != first["sample_id"]
    assert lease(http, web_stack, web_project, "ben") == {"exhausted": True}, "both are anna's"
    again = http.post(f"/api/projects/{web_project}/next", headers=bearer(web_stack, "anna"),
                      json={"annotator": "anna", "ahead_of": first["sample_id"]})
    assert again.json()["sample_id"] == ahead["sample_id"], "asked again, the same one ahead"


def test_the_image_comes_as_its_raw_values_zstd_or_gzip_compressed_as_the_caller_accepts(http, web_stack,
                                                                                         web_project):
    sample = lease(http, web_stack, web_project)
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        image = admin.get_sample(sample["sample_id"]).require("image")
    for accepted, coding in (("gzip, deflate, br, zstd", "zstd"), ("gzip, zstd;q=0", "gzip"), ("identity", None)):
        raw = http.get(f"/api/samples/{sample['sample_id']}/image",
                       headers={**bearer(web_stack, "anna"), "accept-encoding": accepted})
        assert raw.headers.get("content-encoding") == coding
        values = np.frombuffer(raw.content, np.dtype(raw.headers["x-array-dtype"]).newbyteorder("<"))
        np.testing.assert_array_equal(values.reshape(image.shape), image)


def test_labelassist_status_prints_the_browser_apps_url(web_stack):
    shown = subprocess.run([sys.executable, "-m", "labelassist.cli", "--data-dir", str(web_stack.data_dir), "status"],
                           capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if not k.endswith("_ADDRESS")})
    lines = [line for line in shown.stdout.splitlines() if line.startswith("web")]
    assert lines and web_stack.web_url in lines[0] and "SERVING" in lines[0], shown.stdout + shown.stderr


def test_the_gateway_alone_serves_prometheus_metrics_by_route(web_stack, tmp_path):
    ready = tmp_path / "web.json"
    addresses = web_stack.addresses
    process = subprocess.Popen([sys.executable, "-m", "labelassist.client.web", "--port", "0", "--metrics-port", "0",
                                "--ready-file", str(ready), "--selector", addresses.selector,
                                "--assist", addresses.assist, "--inspect", addresses.inspect])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        started = json.loads(ready.read_text())
        assert httpx.get(started["url"] + "api/projects").status_code == 401
        metrics = httpx.get(f"http://127.0.0.1:{started['metrics_port']}/metrics").text
        assert 'labelassist_web_requests_total{route="/api/projects",status="401"} 1.0' in metrics
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert not ready.exists()


def test_labelassist_up_serves_the_browser_app_and_says_where(tmp_path):
    up = subprocess.Popen([sys.executable, "-m", "labelassist.cli", "--data-dir", str(tmp_path), "up", "--base-port",
                           "0", "--triton-url", "none", "--web-port", "0"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    try:
        said = []
        while not any(line.startswith("web ") for line in said):
            said.append(up.stdout.readline())
            assert said[-1], "".join(said)
        url = next(line for line in said if line.startswith("web ")).split()[1]
        assert url.startswith("http://127.0.0.1:") and "SERVING" in said[-1]
        page = httpx.get(url)
        assert page.status_code == 200 and "Label Assistant" in page.text
    finally:
        up.send_signal(2)
        up.communicate(timeout=60)
    assert up.returncode == 0


def test_the_gateways_connections_send_small_answers_at_once():
    """TCP_NODELAY on every accepted connection: otherwise an answer's body waits
    for the browser's delayed acknowledgement of its headers, 40 ms each call."""
    from labelassist.client.web.server import listening_socket

    listener = listening_socket("127.0.0.1", 0)
    with listener, socket.create_connection(listener.getsockname()[:2]):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.parametrize("dtype, top", [(np.uint8, 256), (np.uint16, 65536), (np.uint16, 300)])
def test_the_views_contrast_is_stretched_between_numpys_own_percentiles(dtype, top):
    rng = np.random.default_rng(7)
    for values in (rng.integers(0, top, (512, 512)).astype(dtype), rng.integers(0, top, 33).astype(dtype),
                   np.full(9, 5, dtype)):
        for low, high in ((0.5, 99.5), (0, 100), (37.2, 62.9)):
            np.testing.assert_allclose(sample_percentiles(values, low, high), np.percentile(values, [low, high]),
                                       rtol=0, atol=1e-9)
