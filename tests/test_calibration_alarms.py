"""Calibration checks each criterion on the accepted labels it learnt from:
a criterion that keeps warning on them is made less sensitive along its
ladder, or speaks in hints only for the project, and a few bad labels
among them do not quieten it; an outline shifted off its object is warned
about while a correct one is not."""

from __future__ import annotations

import numpy as np
from shapes import disc

from labelassist.evaluation.inspection_rates import bound_moves
from labelassist.inspect.alarm_share import HINTS, SLIPS, AlarmShare
from labelassist.inspect.calibration import MIN_IMAGES, calibrate


def nuclei(rng, shape=(128, 128), centres=((30, 30), (30, 90), (90, 30), (90, 90)), radius=13,
           brightness=(1500,) * 4):
    """Four round nuclei of ``brightness`` over a background of 300: the image and each nucleus's mask."""
    masks = [disc(shape, centre, radius) for centre in centres]
    signal = sum(level * mask for level, mask in zip(brightness, masks))
    image = (300 + signal + rng.normal(0, 40, shape)).clip(0).astype(np.uint16)
    return image, masks


def labelled(masks) -> np.ndarray:
    label = np.zeros(masks[0].shape, np.uint16)
    for index, mask in enumerate(masks, start=1):
        label[mask] = index
    return label


def accepted(client, name: str, samples: list[dict]) -> None:
    """``samples`` added to project ``name`` and accepted by a reviewer: their
    warnings are then the project's convention, not slips."""
    client.add_samples(name, samples)
    for sample in client.list_samples(name):
        client.review_label(sample.sample_id, "rev", accept=True)


def _alarms(report, criterion: str) -> list:
    return [f for f in report.findings if f.criterion == criterion and f.severity >= 2]


def test_an_outline_shifted_off_its_nucleus_is_warned_and_a_correct_one_is_not(client, rng):
    image, masks = nuclei(rng)
    correct = labelled(masks)
    assert not _alarms(client.inspect(correct, image=image, criteria=[("outline_offset", {})], only_listed=True),
                       "outline_offset")
    shifted = labelled([masks[0], np.roll(masks[1], 6, axis=1), masks[2], masks[3]])
    [finding] = _alarms(client.inspect(shifted, image=image, criteria=[("outline_offset", {})], only_listed=True),
                        "outline_offset")
    assert list(finding.object_ids) == [2] and "offset from their object" in finding.message


def test_a_criterion_warning_on_the_accepted_labels_is_made_less_sensitive_and_still_finds_the_error(client, rng):
    """The annotators leave out the nuclei 0.6 as bright as those they label,
    brighter than the learnt missed-object bounds may rise to: claims of
    those stop, a deleted nucleus of the labelled kind is still claimed."""
    name = f"dim-left-out-{rng.integers(1 << 30)}"
    client.create_project(name)
    samples = []
    for index in range(MIN_IMAGES + 2):
        image, masks = nuclei(rng, brightness=(1500, 1500, 900, 900))
        samples.append({"stem": f"d{index}", "image": image, "label": labelled(masks[:2])})
    accepted(client, name, samples)
    image, masks = nuclei(rng, brightness=(1500, 1500, 900, 900))
    report = client.inspect(labelled(masks[:2]), image=image, project=name)
    assert report.calibration.criteria["missed_objects"]["relative_contrast"] > 0.6
    assert report.calibration.criteria["missed_objects"].get("severity", "warning") == "warning"
    assert not _alarms(report, "missed_objects")
    assert _alarms(client.inspect(labelled(masks[:2]), image=image), "missed_objects")  # the defaults
    deleted = labelled(masks[:1])
    [claim] = _alarms(client.inspect(deleted, image=image, project=name), "missed_objects")
    assert len(claim.boxes) == 1


def test_a_criterion_no_step_quietens_speaks_in_hints_for_the_project(client, rng):
    """The annotators label only the two upper nuclei of four alike: nothing
    tells a left-out nucleus from a deleted one, so missed-object claims are
    hints for this project, still shown, never holding a submit."""
    name = f"upper-only-{rng.integers(1 << 30)}"
    client.create_project(name)
    samples = []
    for index in range(MIN_IMAGES + 2):
        image, masks = nuclei(rng)
        samples.append({"stem": f"u{index}", "image": image, "label": labelled(masks[:2])})
    accepted(client, name, samples)
    image, masks = nuclei(rng)
    report = client.inspect(labelled(masks[:2]), image=image, project=name)
    assert report.calibration.criteria["missed_objects"]["severity"] == "info"
    assert not _alarms(report, "missed_objects")
    assert [f for f in report.findings if f.criterion == "missed_objects"]  # shown as a hint
    assert _alarms(client.inspect(labelled(masks[:2]), image=image), "missed_objects")


def test_the_check_reports_each_criterions_share_of_warned_labels(rng):
    pairs = [nuclei(rng) for _ in range(MIN_IMAGES)]
    calibration = calibrate([labelled(masks[:2]) for _, masks in pairs], [image for image, _ in pairs])
    share = calibration.alarm_shares["missed_objects"]
    assert share.before == 1.0 and share.after == 0.0 and share.step == HINTS and share.labels == MIN_IMAGES
    assert calibration.alarm_shares["outline_offset"] == AlarmShare(0.0, 0.0, 0, MIN_IMAGES)
    assert "object_size" not in calibration.alarm_shares  # a learnt bound, not checked


def test_three_bad_labels_among_the_accepted_ones_do_not_quieten_the_criterion_that_finds_them(rng):
    pairs = [nuclei(rng) for _ in range(MIN_IMAGES + 10)]
    labels = [labelled(masks) for _, masks in pairs]
    for index in range(SLIPS):
        first, second = pairs[index][1][:2]
        labels[index][first | second] = 1
        labels[index][28:33, 30:90] = 1  # a stroke joining the two nuclei
    calibration = calibrate(labels, [image for image, _ in pairs])
    assert calibration.alarm_shares["merged_objects"].before == SLIPS / len(labels)
    assert calibration.alarm_shares["merged_objects"].step == 0


def lobed_or_merged(rng, lobed=False, merged=False) -> tuple[np.ndarray, np.ndarray]:
    """Four nuclei as :func:`nuclei` draws them; where ``lobed``, the fourth
    one large nucleus pinched into two lobes with a darker seam (which
    ``merged_objects`` warns on as a merged pair); where ``merged``, the
    upper two under one id joined by a stroke, a real merge."""
    shape = (128, 128)
    masks = [disc(shape, centre, 13) for centre in ((30, 30), (30, 90), (90, 30))]
    masks.append(disc(shape, (90, 78), 13) | disc(shape, (90, 100), 13) if lobed else disc(shape, (90, 90), 13))
    signal = sum(1500 * mask for mask in masks)
    if lobed:
        signal[:, 88:93] = np.where(masks[3][:, 88:93], 1100, signal[:, 88:93])
    image = (300 + signal + rng.normal(0, 40, shape)).clip(0).astype(np.uint16)
    label = labelled(masks)
    if merged:
        label[masks[1]] = 1
        label[30, 30:90] = 1
    return image, label


def test_one_bad_label_tipping_a_criterion_over_its_share_moves_no_bound_more_than_ten_percent(client, rng):
    """Three of twenty accepted labels hold a lobed nucleus that
    ``merged_objects`` warns on, as many as the check tolerates; one more
    accepted label with a real merge tips the count, but is a slip: the
    criterion is not made less sensitive for it, and still finds merges."""
    good = [lobed_or_merged(rng, lobed=index >= 20 - SLIPS) for index in range(20)]  # the newest, judged with images
    bad = lobed_or_merged(rng, merged=True)
    image, label = lobed_or_merged(rng)
    calibrated = {}
    for name, samples in (("good", good), ("with-bad", good + [bad])):
        project = f"tipped-{name}-{rng.integers(1 << 30)}"
        client.create_project(project)
        accepted(client, project, [{"stem": f"t{index}", "image": sample_image, "label": sample_label}
                                   for index, (sample_image, sample_label) in enumerate(samples)])
        calibrated[name] = client.inspect(label, image=image, project=project).calibration.criteria
        if name == "with-bad":
            assert _alarms(client.inspect(bad[1], image=bad[0], project=project), "merged_objects")
    moves = bound_moves(list(calibrated["good"].items()), list(calibrated["with-bad"].items()))
    assert moves and max(moves.values()) <= 0.10, moves
