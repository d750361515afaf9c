"""The inspect service through a real server: every criterion fires on a mask
built to break it, at the right place, and stays quiet on one that does not."""

import grpc
import numpy as np
import pytest

from labelassist.inspect.measure import measure_objects
from labelassist.proto.v1 import inspect_pb2
from shapes import disc

SHAPE = (100, 100)


def findings(client, criterion, mask, image=None, prelabel=None, **parameters):
    response = client.inspect(mask, image=image, prelabel=prelabel, criteria=[(criterion, parameters)],
                              only_listed=True)
    assert list(response.checked) == [criterion]
    return [f for f in response.findings if f.criterion == criterion]


def boxes(finding):
    return [(tuple(b.start), tuple(b.stop)) for b in finding.boxes]


def one_disc(center=(50, 50), radius=15, label=1):
    return (disc(SHAPE, center, radius) * label).astype(np.uint16)


def test_list_criteria_names_every_criterion_with_parameters(client):
    criteria = {c.name: c for c in client.list_criteria()}
    assert set(criteria) == {"empty_mask", "foreground_fraction", "object_count", "object_size", "holes",
                             "touching_border", "fragments", "irregular_shape", "prelabel_agreement",
                             "background_intensity", "missed_objects", "merged_objects", "instance_defects",
                             "shared_id", "object_brightness", "outline_offset"}
    assert [p.name for p in criteria["object_size"].parameters] == ["min_area", "max_area", "severity"]


def test_empty_mask(client):
    [finding] = findings(client, "empty_mask", np.zeros(SHAPE, np.uint8))
    assert finding.severity == inspect_pb2.SEVERITY_ERROR and "mask is empty" in finding.message
    assert findings(client, "empty_mask", one_disc()) == []


def test_foreground_fraction(client):
    dot = np.zeros(SHAPE, np.uint8)
    dot[50, 50] = 1
    [finding] = findings(client, "foreground_fraction", dot, min_fraction=0.01)
    assert finding.measured == pytest.approx(1e-4) and finding.bound == 0.01
    assert "foreground fraction 0.0001 is below the minimum 0.01" in finding.message
    [full] = findings(client, "foreground_fraction", np.ones(SHAPE, np.uint8), max_fraction=0.8)
    assert "above the maximum 0.8" in full.message
    assert findings(client, "foreground_fraction", one_disc(), min_fraction=0.01) == []


def test_object_count(client):
    three = one_disc((20, 20), 8) | one_disc((20, 70), 8) | one_disc((70, 50), 8)
    [finding] = findings(client, "object_count", three, max_count=2)
    assert finding.measured == 3 and finding.bound == 2
    assert findings(client, "object_count", three, min_count=1, max_count=5) == []


def test_object_size_flags_the_small_object_with_its_box(client):
    mask = one_disc((50, 50), 15)
    mask[5:9, 80:85] = 2  # 20 px
    [finding] = findings(client, "object_size", mask, min_area=40)
    assert list(finding.object_ids) == [2] and boxes(finding) == [((5, 80), (9, 85))]
    assert findings(client, "object_size", one_disc(), min_area=40) == []


def test_object_size_flags_an_object_above_the_upper_bound(client):
    [finding] = findings(client, "object_size", one_disc(radius=30), min_area=1, max_area=1000)
    assert list(finding.object_ids) == [1] and finding.bound == 1000


def test_holes_flags_a_ring(client):
    ring = one_disc(radius=20) & ~disc(SHAPE, (50, 50), 6)
    [finding] = findings(client, "holes", ring.astype(np.uint16))
    assert list(finding.object_ids) == [1] and boxes(finding) == [((30, 30), (71, 71))]
    assert findings(client, "holes", one_disc(radius=20)) == []


def test_touching_border_flags_the_cut_object(client):
    mask = one_disc((50, 50), 10)
    mask[0:10, 40:60] = 2
    [finding] = findings(client, "touching_border", mask)
    assert list(finding.object_ids) == [2] and finding.severity == inspect_pb2.SEVERITY_INFO
    assert findings(client, "touching_border", one_disc()) == []


def test_fragments_flags_many_tiny_pieces(client):
    mask = one_disc()
    for row, col in ((5, 5), (5, 90), (90, 5), (90, 90)):
        mask[row:row + 2, col:col + 2] = 1
    [finding] = findings(client, "fragments", mask, fragment_area=10, max_fragments=2)
    assert finding.measured == 4 and ((5, 5), (7, 7)) in boxes(finding)
    assert findings(client, "fragments", one_disc(), max_fragments=2) == []


def test_irregular_shape_flags_two_merged_discs(client):
    merged = disc(SHAPE, (50, 30), 15) | disc(SHAPE, (50, 70), 15)
    merged[48:52, 30:70] = True
    [finding] = findings(client, "irregular_shape", merged.astype(np.uint8))
    assert list(finding.object_ids) == [1] and "solidity below 0.8" in finding.message
    assert findings(client, "irregular_shape", one_disc()) == []


def test_prelabel_agreement_finds_missed_and_extra_objects(client):
    prelabel = one_disc((30, 30), 12) | one_disc((70, 70), 12)
    label = one_disc((30, 30), 12) | one_disc((70, 25), 10, label=2)  # one missed, one extra
    found = findings(client, "prelabel_agreement", label, prelabel=prelabel, min_dice=0.0)
    extra = next(f for f in found if "not in the pre-label" in f.message)
    missed = next(f for f in found if "missing from the label" in f.message)
    assert list(extra.object_ids) == [2] and boxes(extra) == [((60, 15), (81, 36))]
    assert boxes(missed) == [((58, 58), (83, 83))]
    assert findings(client, "prelabel_agreement", prelabel, prelabel=prelabel) == []


def test_prelabel_agreement_reports_low_overall_dice(client):
    [finding] = findings(client, "prelabel_agreement", one_disc((30, 30), 12), prelabel=one_disc((40, 30), 12),
                         min_coverage=0.01, min_dice=0.9)
    assert "Dice with the pre-label is" in finding.message and finding.bound == 0.9


def nuclei_image(rng, centers=((30, 30), (70, 70)), radius=12):
    truth = np.zeros(SHAPE, bool)
    for center in centers:
        truth |= disc(SHAPE, center, radius)
    return (np.where(truth, 2000, 300) + rng.normal(0, 30, SHAPE)).astype(np.uint16), truth


def test_background_intensity_flags_an_object_drawn_on_background(client, rng):
    image, truth = nuclei_image(rng)
    mask = truth.astype(np.uint16)
    mask[5:20, 75:95] = 2  # labelled, but dark
    [finding] = findings(client, "background_intensity", mask, image=image)
    assert list(finding.object_ids) == [2] and boxes(finding) == [((5, 75), (20, 95))]
    assert findings(client, "background_intensity", truth.astype(np.uint8), image=image) == []


def test_missed_objects_flags_an_unlabelled_bright_region(client, rng):
    image, truth = nuclei_image(rng)
    only_first = disc(SHAPE, (30, 30), 12).astype(np.uint8)
    [finding] = findings(client, "missed_objects", only_first, image=image)
    [(start, stop)] = boxes(finding)
    assert abs(start[0] - 58) <= 2 and abs(stop[0] - 83) <= 2 and abs(start[1] - 58) <= 2
    assert findings(client, "missed_objects", truth.astype(np.uint8), image=image) == []


def test_instance_defects_flag_a_split_id_and_gaps(client):
    mask = one_disc((30, 30), 10) | one_disc((70, 70), 10)  # id 1 in two pieces
    mask[5:10, 80:90] = 3  # and no id 2
    found = findings(client, "instance_defects", mask)
    split = next(f for f in found if "separate pieces" in f.message)
    gaps = next(f for f in found if "not contiguous" in f.message)
    assert list(split.object_ids) == [1] and split.severity == inspect_pb2.SEVERITY_ERROR
    assert gaps.measured == 3 and gaps.bound == 2
    clean = one_disc((30, 30), 10) + one_disc((70, 70), 10, label=2)
    assert findings(client, "instance_defects", clean) == []


def test_shared_id_flags_one_id_over_many_separate_objects(client):
    """A foreground mask of five nuclei is one object to every export."""
    centres = ((20, 20), (20, 75), (50, 50), (80, 20), (80, 75))
    foreground = np.zeros(SHAPE, np.uint8)
    for centre in centres:
        foreground |= one_disc(centre, 8).astype(np.uint8)
    [finding] = findings(client, "shared_id", foreground)
    assert finding.measured == 5 and len(finding.boxes) == 5 and finding.severity == inspect_pb2.SEVERITY_WARNING
    assert finding.fix == ("relabel", {}) and "own id" in finding.message
    fixed, _ = client.postprocess(foreground, [finding.fix])
    assert findings(client, "shared_id", fixed) == [] and fixed.max() == 5
    instances = foreground.astype(np.uint16) * 4
    instances[40:, :] = np.where(instances[40:, :] > 0, 7, 0)  # id 4 over two nuclei, id 7 over three
    [finding] = findings(client, "shared_id", instances)
    assert finding.measured == 3 and "[7]" in finding.message


def test_shared_id_spares_an_object_with_specks_and_one_cut_in_two(client):
    with_specks = one_disc((50, 50), 15)
    for row, col in ((5, 5), (5, 90), (90, 5)):
        with_specks[row:row + 2, col:col + 2] = 1
    assert findings(client, "shared_id", with_specks) == []
    cut = one_disc((30, 30), 10) | one_disc((70, 70), 10)  # one id in two pieces: instance_defects' concern
    assert findings(client, "shared_id", cut) == []
    assert findings(client, "shared_id", cut, max_regions=1) != []


def test_instance_defects_spare_an_object_the_crop_cut_in_two(client):
    """A bent object at the border shows as two pieces that both touch it: the
    crop's doing, not a defect. A piece away from the border still is one."""
    bent = one_disc((50, 70), 10, label=2).astype(np.uint8)
    bent[20:30, 0:15] = 1
    bent[50:60, 0:15] = 1  # joined to the first beyond the left border
    assert findings(client, "instance_defects", bent) == []
    bent[80:85, 40:45] = 1  # a stray piece inside the image
    [split] = findings(client, "instance_defects", bent)
    assert list(split.object_ids) == [1] and "separate pieces" in split.message


def test_without_a_prelabel_agreement_uses_the_default_prelabel(client, rng):
    image, _ = nuclei_image(rng)
    only_first = disc(SHAPE, (30, 30), 12).astype(np.uint8)
    response = client.inspect(only_first, image=image)
    assert "prelabel_agreement" in response.checked
    missed = [f for f in response.findings
              if f.criterion == "prelabel_agreement" and "missing from the label" in f.message]
    assert len(missed) == 1
    assert response.prelabel_source == "classical"  # this stack serves no U-Net
    assert client.inspect(only_first, image=image, prelabel=only_first).prelabel_source == "sent"
    assert client.inspect(only_first).prelabel_source == ""  # no image: nothing to pre-label


def test_an_unreachable_triton_leaves_agreement_on_the_classical_prelabel(start_service, rng):
    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

    service = start_service("inspect", "--triton-url", "127.0.0.1:9")  # nothing listens there
    image, _ = nuclei_image(rng)
    only_first = disc(SHAPE, (30, 30), 12).astype(np.uint8)
    with LabelAssistClient(ServiceAddresses(inspect=service.address), retries=0) as client:
        response = client.inspect(only_first, image=image)
    assert response.prelabel_source == "classical"
    assert any(f.criterion == "prelabel_agreement" and f.boxes for f in response.findings)


def test_response_measures_every_object(client, rng):
    image, truth = nuclei_image(rng)
    response = client.inspect(truth.astype(np.uint8), image=image)
    assert [o.object_id for o in response.objects] == [1, 2]
    assert all(o.area == disc(SHAPE, (30, 30), 12).sum() for o in response.objects)
    assert all(1900 < o.mean_intensity < 2100 and o.solidity > 0.9 for o in response.objects)


def test_shape_mismatch_between_image_and_mask_is_invalid_argument(client):
    with pytest.raises(grpc.RpcError) as caught:
        client.inspect(np.ones((10, 10), np.uint8), image=np.ones((10, 12), np.uint16))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "shape mismatch: 'image' is (10, 12), 'mask' is (10, 10)" in caught.value.details()


def test_unknown_criterion_and_bad_parameter_are_invalid_argument(client):
    for criteria, message in (([("holez", {})], "unknown criterion 'holez'"),
                              ([("holes", {"min_hole_area": -1})], "'min_hole_area' = -1.0 is below the minimum")):
        with pytest.raises(grpc.RpcError) as caught:
            client.inspect(np.ones((10, 10), np.uint8), criteria=criteria)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in caught.value.details()


def test_negative_or_float_masks_are_invalid_argument(client):
    for mask, message in ((np.full((4, 4), -1, np.int32), "negative labels"),
                          (np.ones((4, 4), np.float32), "has dtype float32")):
        with pytest.raises(grpc.RpcError) as caught:
            client.inspect(mask)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and message in caught.value.details()


def test_merged_objects_flags_one_label_over_two_bright_nuclei(client, rng):
    image, truth = nuclei_image(rng, centers=((50, 30), (50, 70)), radius=12)
    merged = truth.copy()
    merged[47:54, 30:70] = True  # one stroke joins them
    [finding] = findings(client, "merged_objects", merged.astype(np.uint8), image=image)
    assert list(finding.object_ids) == [1] and finding.measured == 2
    two = (disc(SHAPE, (50, 30), 12) + 2 * disc(SHAPE, (50, 70), 12)).astype(np.uint8)
    assert findings(client, "merged_objects", two, image=image) == []


def test_objects_cut_by_the_border_are_not_judged_for_size_or_missing(client, rng):
    image, truth = nuclei_image(rng, centers=((50, 50), (50, 3)), radius=12)
    only_inner = disc(SHAPE, (50, 50), 12).astype(np.uint8)
    assert findings(client, "missed_objects", only_inner, image=image) == []
    [finding] = findings(client, "missed_objects", only_inner, image=image, include_border=True)
    assert boxes(finding)[0][0][1] == 0  # the box starts at the left border
    sliver = only_inner.copy()
    sliver[40:44, 0:3] = 2  # a 12 px piece of a cut object
    assert findings(client, "object_size", sliver, min_area=40) == []


def test_missing_object_claims_ignore_regions_much_dimmer_than_the_labelled_ones(client, rng):
    image = (np.where(disc(SHAPE, (30, 30), 12), 3000, 300) + np.where(disc(SHAPE, (70, 70), 12), 600, 0)
             + rng.normal(0, 20, SHAPE)).astype(np.uint16)  # the second nucleus is dim
    only_bright = disc(SHAPE, (30, 30), 12).astype(np.uint8)
    assert findings(client, "missed_objects", only_bright, image=image) == []
    [finding] = findings(client, "missed_objects", only_bright, image=image, relative_contrast=0.05)
    assert len(finding.boxes) == 1


def test_inspect_batch_reports_each_sample_by_name(client, rng):
    image, truth = nuclei_image(rng)
    ring = truth & ~disc(SHAPE, (30, 30), 4)
    samples = [("clean", truth.astype(np.uint8), image, None), ("holey", ring.astype(np.uint8), image, None),
               ("empty", np.zeros(SHAPE, np.uint8), None, None)]
    reports = dict(client.inspect_batch(iter(samples), criteria=[("holes", {}), ("empty_mask", {})],
                                        only_listed=True))
    assert list(reports) == ["clean", "holey", "empty"]
    assert reports["clean"].findings == []
    assert [f.criterion for f in reports["holey"].findings] == ["holes"]
    assert [f.criterion for f in reports["empty"].findings] == ["empty_mask"]


def test_inspect_batch_names_the_sample_with_bad_input(client):
    samples = [("fine", np.ones((8, 8), np.uint8), None, None),
               ("broken", np.ones((8, 8), np.uint8), np.ones((9, 9), np.uint16), None)]
    reports = client.inspect_batch(iter(samples))
    assert next(reports)[0] == "fine"
    with pytest.raises(grpc.RpcError) as caught:
        next(reports)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("sample 'broken': shape mismatch")


def test_solidity_is_area_over_the_convex_hull_of_the_pixel_squares():
    labels = np.zeros((200, 200), np.int32)
    labels[10:30, 10:40] = 1  # a rectangle: its own hull
    labels[100:140, 100:105] = 2  # an L of 475 px ...
    labels[100:105, 100:160] = 2  # ... whose hull is a 1437.5 px² pentagon
    table = measure_objects(labels)
    assert table.solidity[0] == pytest.approx(1.0)
    assert table.solidity[1] == pytest.approx(475 / 1437.5)


def test_confidence_grows_with_the_distance_beyond_the_bound(client):
    mask = one_disc((30, 30), 15)
    mask[70:76, 70:76] = 2  # 36 px, just under the 40 px bound
    mask[80:83, 20:23] = 3  # 9 px, far under it
    near = findings(client, "object_size", np.where(np.isin(mask, (1, 2)), mask, 0))
    far = findings(client, "object_size", np.where(np.isin(mask, (1, 3)), mask, 0))
    assert 0.5 < near[0].confidence < 0.7 < 0.9 < far[0].confidence <= 1.0
    assert findings(client, "empty_mask", np.zeros(SHAPE, np.uint8))[0].confidence == 1.0


def test_a_pin_hole_is_info_with_a_fix_that_removes_it(client):
    mask = one_disc(radius=20)
    mask[50, 50] = 0
    [finding] = findings(client, "holes", mask)
    assert finding.severity == inspect_pb2.SEVERITY_INFO and finding.fix == ("fill_holes", {"max_size": 4})
    fixed, _ = client.postprocess(mask, [finding.fix])
    assert findings(client, "holes", fixed) == [] and (fixed > 0).sum() == (mask > 0).sum() + 1
    big = one_disc(radius=20) & ~disc(SHAPE, (50, 50), 5)
    [warning] = findings(client, "holes", big.astype(np.uint16))
    assert warning.severity == inspect_pb2.SEVERITY_WARNING and warning.fix == ("fill_holes", {})


def test_a_speck_is_info_with_a_fix_even_when_tolerated(client):
    mask = one_disc()
    mask[5:6, 5:7] = 1  # a 2 px stroke of the same id, away from the object
    [finding] = findings(client, "fragments", mask)
    assert finding.severity == inspect_pb2.SEVERITY_INFO and finding.fix == ("remove_fragments", {"max_size": 3})
    fixed, _ = client.postprocess(mask, [finding.fix])
    assert findings(client, "fragments", fixed) == [] and np.array_equal(fixed, one_disc())


def test_a_project_sets_the_confidence_below_which_warnings_are_info(client, rng):
    mask = one_disc((30, 30), 15)
    mask[70:76, 70:76] = 2  # 36 px: a warning of low confidence
    project = f"confidence-{rng.integers(1 << 30)}"
    client.create_project(project)
    size = [f for f in client.inspect(mask, project=project).findings if f.criterion == "object_size"]
    assert size[0].severity == inspect_pb2.SEVERITY_WARNING
    client.set_inspection(project, min_confidence=0.9)
    assert client.get_project(project).inspection.min_confidence == 0.9
    [quiet] = [f for f in client.inspect(mask, project=project).findings if f.criterion == "object_size"]
    assert quiet.severity == inspect_pb2.SEVERITY_INFO and "below this project's 0.9" in quiet.message
    mask[80:83, 20:23] = 3  # 9 px: far below the bound, still a warning
    loud = [f for f in client.inspect(mask, project=project).findings if f.criterion == "object_size"]
    assert inspect_pb2.SEVERITY_WARNING in {f.severity for f in loud}
    with pytest.raises(grpc.RpcError) as raised:
        client.set_inspection(project, min_confidence=1.5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "min_confidence" in raised.value.details()
