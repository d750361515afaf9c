"""Objects the image (or tile) border cuts are judged as cut objects: a
nucleus cut to a sliver at the edge is a correct label, while a sliver of
the same size inside the image is a slip. Through the real inspect service
with every criterion."""

import numpy as np

from shapes import disc

SHAPE = (128, 128)
CENTRES = ((30, 30), (30, 95), (95, 30), (95, 95))
# Nuclei whose centres lie outside the tile, leaving 3-38 px slivers inside it.
CUT = (((-1, 64), 1.5), ((-5, 64 + 30), 6), ((64, -3), 3.2), ((30, 132), 6), ((64, -7 + 128 + 13), 9),
       ((134, 64), 9), ((-6, 20), 8))


def nuclei_cut_by_the_border(rng) -> tuple[np.ndarray, np.ndarray]:
    """Four whole nuclei and five slivers of nuclei outside the tile: the
    image, and the label a careful annotator draws (every visible part)."""
    label = np.zeros(SHAPE, np.uint16)
    for index, centre in enumerate(CENTRES, start=1):
        label[disc(SHAPE, centre, 12)] = index
    for index, (centre, radius) in enumerate(CUT, start=len(CENTRES) + 1):
        label[disc(SHAPE, centre, radius)] = index
    image = (np.where(label > 0, 2000, 300) + rng.normal(0, 30, SHAPE)).clip(0).astype(np.uint16)
    return image, label


def alarms(report) -> list:
    return [f for f in report.findings if f.severity >= 2]


def test_slivers_the_border_cuts_draw_no_warning(client, rng):
    image, label = nuclei_cut_by_the_border(rng)
    sliver_areas = [int((label == i).sum()) for i in range(len(CENTRES) + 1, int(label.max()) + 1)]
    assert min(sliver_areas) <= 3 and max(sliver_areas) < 40  # specks and slivers far below every size bound
    report = client.inspect(label, image=image)
    assert alarms(report) == [], [f.message for f in alarms(report)]


def test_a_five_pixel_object_inside_the_image_still_warns(client, rng):
    image, label = nuclei_cut_by_the_border(rng)
    label[62:63, 60:65] = 20  # a 5 px slip of the brush, away from the border
    image[62:63, 60:65] = 2000
    warned = {f.criterion: f for f in alarms(client.inspect(label, image=image))}
    assert "object_size" in warned and list(warned["object_size"].object_ids) == [20]
