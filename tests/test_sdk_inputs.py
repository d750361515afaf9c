"""The SDK answers misuse in Python terms: the obvious forms of an argument
are taken (an address string or dict, enums by their documented names, one
step for a pipeline), and anything else is a ``TypeError`` or
``ValueError`` that names the argument and what it accepts, raised before
anything is sent; never a protobuf error or a gRPC ``UNKNOWN``. Against the
real services."""

from __future__ import annotations

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient
from labelassist.proto.v1 import selector_pb2


@pytest.fixture
def sample(client):
    project = f"inputs-{np.random.default_rng().integers(1 << 30)}"
    client.create_project(project)
    return project, client.add_sample(project, "a", np.zeros((32, 32), np.uint8))


def test_a_selector_address_string_finds_the_running_stack_that_records_it(stack, monkeypatch):
    monkeypatch.setenv("LABELASSIST_DATA_DIR", str(stack.data_dir))
    with LabelAssistClient(stack.addresses.selector) as client:
        assert client.addresses == stack.addresses
        assert set(client.health().values()) == {"SERVING"}


def test_an_address_string_elsewhere_is_the_first_of_three_consecutive_ports(tmp_path, monkeypatch):
    monkeypatch.setenv("LABELASSIST_DATA_DIR", str(tmp_path))
    with LabelAssistClient("127.0.0.1:55099") as client:
        assert client.addresses.as_dict() == {"selector": "127.0.0.1:55099", "assist": "127.0.0.1:55100",
                                              "inspect": "127.0.0.1:55101"}


def test_a_dict_of_addresses_is_taken_and_one_with_other_keys_is_refused(stack):
    with LabelAssistClient(stack.addresses.as_dict()) as client:
        assert set(client.health().values()) == {"SERVING"}
    with pytest.raises(ValueError, match="unknown service 'selektor'.*'selector', 'assist', 'inspect'"):
        LabelAssistClient({"selektor": stack.addresses.selector})


def test_addresses_of_another_kind_are_a_type_error_saying_what_is_accepted():
    with pytest.raises(TypeError, match="addresses must be a ServiceAddresses, a 'host:port' string"):
        LabelAssistClient(50051)


def test_a_label_origin_is_taken_by_its_documented_name_in_any_case_or_the_contracts_enum(client, sample):
    _, sample_id = sample
    version = client.submit_label(sample_id, "ann", np.ones((32, 32), np.uint8), origin="Edited_Prelabel")
    assert version.origin == selector_pb2.LABEL_ORIGIN_EDITED_PRELABEL
    version = client.submit_label(sample_id, "ann", np.ones((32, 32), np.uint8),
                                  origin=selector_pb2.LABEL_ORIGIN_ACCEPTED_PRELABEL)
    assert client.label_history(sample_id)[-1].origin == selector_pb2.LABEL_ORIGIN_ACCEPTED_PRELABEL


def test_an_unknown_label_origin_is_a_value_error_listing_the_origins(client, sample):
    _, sample_id = sample
    with pytest.raises(ValueError, match="origin 'prelabel' is not one of manual, accepted_prelabel, "
                                         "edited_prelabel, imported"):
        client.submit_label(sample_id, "ann", np.ones((32, 32), np.uint8), origin="prelabel")


def test_a_file_path_for_an_image_is_a_type_error_saying_to_read_it_first(client, sample):
    _, sample_id = sample
    with pytest.raises(TypeError, match="image must be an array of pixels, not the str 'cells.tif': read the file"):
        client.prelabel("cells.tif", "otsu")
    with pytest.raises(TypeError, match="mask must be an array of pixels"):
        client.submit_label(sample_id, "ann", "mask.png")


def test_samples_that_are_not_stem_and_image_are_named_not_reported_as_unknown(client, sample):
    project, _ = sample
    with pytest.raises(TypeError, match="sample 2 is a ndarray; each sample is a dict with 'stem' and 'image'"):
        client.add_samples(project, [{"stem": "b", "image": np.zeros((8, 8), np.uint8)}, np.zeros((8, 8))])
    with pytest.raises(ValueError, match="sample 1 needs a 'stem'"):
        client.add_samples(project, [{"image": np.zeros((8, 8), np.uint8)}])


def test_a_step_of_the_wrong_shape_is_a_type_error_showing_the_forms(client):
    image = np.zeros((16, 16), np.uint8)
    with pytest.raises(TypeError, match=r"a step is 'name', \('name', \{parameters\}\) or a NamedCall; got int 5"):
        client.preprocess(image, [5])
    with pytest.raises(TypeError, match="got tuple"):
        client.preprocess(image, [("gaussian", 2)])


def test_one_criterion_alone_is_a_list_of_one_not_its_letters(client):
    project = client.create_project(f"one-{np.random.default_rng().integers(1 << 30)}",
                                    criteria=("fragments", {"max_fragments": "5"}), disabled="holes")
    assert [c.name for c in project.inspection.criteria] == ["fragments"]
    assert list(project.inspection.disabled) == ["holes"]


def test_a_click_of_the_wrong_shape_is_a_value_error_showing_the_form(client):
    with pytest.raises(ValueError, match=r"click 1 is \(4, 5\); each click is \(row, column, positive\)"):
        client.segment(np.zeros((16, 16), np.uint8), [(4, 5)])


def test_a_review_verdict_is_a_bool_not_a_string(client, sample):
    _, sample_id = sample
    with pytest.raises(TypeError, match="accept is True or False, not str 'no'"):
        client.review_label(sample_id, "rev", "no")


def test_an_unknown_compression_is_a_value_error_listing_the_choices(stack):
    with pytest.raises(ValueError, match="compression 'gzip' is not one of none, zlib, zstd"):
        LabelAssistClient(stack.addresses, compression="gzip")
