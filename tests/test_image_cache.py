"""Assist and inspect keep the sample images they fetched from the selector
(by the image's content digest), so repeated calls on one sample fetch its
image once; the selector still answers every call, so it checks the caller's
roles each time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.runtime.image_cache import ImageCache

from test_metrics import scrape


def test_the_cache_keeps_the_least_recently_used_images_within_its_bytes():
    cache = ImageCache(3 * 1000)
    images = {name: np.full(1000, index, np.uint8) for index, name in enumerate("abcd")}
    for name in "abc":
        cache.put(name, images[name])
    assert cache.get("a") is not None  # "a" now used most recently, "b" least
    cache.put("d", images["d"])
    assert cache.get("b") is None and cache.get("c") is not None and cache.get("d") is not None
    assert cache.size_bytes == 3000 and (cache.hits, cache.misses) == (3, 1)
    # What the cache hands out cannot be changed by one caller under the next.
    with pytest.raises(ValueError, match="read-only"):
        cache.get("a")[0] = 9
    # An image larger than the whole cache, and a cache of 0 bytes, keep nothing.
    cache.put("big", np.zeros(4000, np.uint8))
    assert cache.get("big") is None
    off = ImageCache(0)
    off.put("a", images["a"])
    assert off.get("a") is None and off.size_bytes == 0


def _value(samples: dict, name: str, service: str) -> float:
    return samples[(name, frozenset({"service": service}.items()))]


def _sent_by_get_sample(samples: dict) -> float:
    return samples[("labelassist_sent_bytes_total",
                    frozenset({"service": "selector", "method": "/labelassist.v1.SelectorService/GetSample"}.items()))]


def test_ten_prelabels_of_one_sample_fetch_its_image_once(start_service, rng):
    selector = start_service("selector", "--metrics-port", "0")
    assist = start_service("assist", "--metrics-port", "0", "--selector-address", selector.address)
    image = (rng.random((256, 256)) * 4000).astype(np.uint16)
    other = (rng.random((256, 256)) * 4000).astype(np.uint16)
    with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist.address),
                           timeout=60) as client:
        client.create_project("cached")
        first = client.add_sample("cached", "first", image)
        second = client.add_sample("cached", "second", other)
        masks = [client.prelabel(None, "otsu", sample_id=first).mask for _ in range(10)]
        from_other = client.prelabel(None, "otsu", sample_id=second).mask
        sent_image = client.prelabel(image, "otsu").mask
    for mask in masks[1:]:
        np.testing.assert_array_equal(mask, masks[0])
    np.testing.assert_array_equal(masks[0], sent_image)  # the cached image is the sample's own
    assert not np.array_equal(from_other, masks[0])  # another sample's image is never served for it
    cache = scrape(json.loads(assist.ready_file.read_text())["metrics_port"])
    assert _value(cache, "labelassist_assist_image_cache_misses", "assist") == 2
    assert _value(cache, "labelassist_assist_image_cache_hits", "assist") == 9
    assert _value(cache, "labelassist_assist_image_cache_bytes", "assist") == 2 * image.nbytes
    # The selector sent each image once (its messages are counted before gRPC compression).
    sent = _sent_by_get_sample(scrape(json.loads(selector.ready_file.read_text())["metrics_port"]))
    assert 2 * image.nbytes <= sent < 3 * image.nbytes


def test_without_a_cache_every_call_fetches_the_image(start_service, rng):
    selector = start_service("selector", "--metrics-port", "0")
    assist = start_service("assist", "--selector-address", selector.address, "--image-cache-mib", "0")
    image = (rng.random((128, 128)) * 4000).astype(np.uint16)
    with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist.address),
                           timeout=60) as client:
        client.create_project("uncached")
        sample = client.add_sample("uncached", "only", image)
        for _ in range(3):
            client.prelabel(None, "otsu", sample_id=sample)
    sent = _sent_by_get_sample(scrape(json.loads(selector.ready_file.read_text())["metrics_port"]))
    assert sent >= 3 * image.nbytes
