"""Inspection on the HeLa reference masks: false alarms on the references and
detection of planted corruptions; and inspection time on large masks.

    python benchmarks/bench_inspect.py [--tile 256] [--seed 0]

A corruption counts as detected when a warning or error points at it (a box
overlapping the corrupted region) or when a finding without a location
appears that the clean tile did not raise. A false alarm is a clean reference
tile with any warning or error. Info findings (objects cut by the tile's
border) are shown to the annotator but are neither.

The reference masks come from a segmentation algorithm: they miss nuclei
and carry a few defects of their own. Two checks separate warnings that are
right about the reference from false alarms:

* automatic: a missing-object warning whose box holds an object in a
  neighbouring frame's reference ("confirmed reference miss");
* by eye: every warning on a clean tile has a verdict in
  results/inspect_hela*_audit/verdicts.json (reference_miss, reference_defect,
  unsure, false_alarm), made from the crops that ``--audit-sheets DIR``
  draws. Only reference_miss and reference_defect excuse a warning; a
  warning without a verdict (say, after a criterion changed) counts as a
  false alarm, and ``--audit-sheets`` lists it as "unreviewed".
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import json
import sys
from pathlib import Path

import numpy as np
from skimage import draw, measure
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, footer, machine, median_seconds, write_results  # noqa: E402
from hela import hela_frames, tile_windows  # noqa: E402

from labelassist.cli.common import parse_step  # noqa: E402
from labelassist.evaluation.corruptions import CORRUPTIONS, interior_ids  # noqa: E402
from labelassist.evaluation.inspection_rates import alarms, detected  # noqa: E402
from labelassist.inspect.inspection import inspect_label  # noqa: E402
from labelassist.inspect.settings import InspectionSettings  # noqa: E402

MISSING = ("missed_objects", "prelabel_agreement")


def claims_missing(finding) -> bool:
    return finding.criterion in MISSING and not finding.object_ids


def confirmed_elsewhere(box, window, masks) -> bool:
    """Whether a neighbouring frame's reference has an object in ``box``."""
    frame, rows, cols = window
    r0, c0, r1, c1 = box
    for other in (frame - 1, frame + 1):
        if 0 <= other < masks.shape[0]:
            region = masks[other, rows, cols][r0:r1, c0:c1]
            if region.size and (region > 0).mean() > 0.3:
                return True
    return False


# One folder per run that raised new warnings (classical pre-label, U-Net); verdicts hold for every run.
AUDITS = "inspect_hela*_audit/verdicts.json"
JUSTIFIED = ("reference_miss", "reference_defect")
AUDIT_HOW = ("Each warning that the default criteria raise on a clean HeLa reference tile, judged by eye from the "
             "crops in this folder (plain image; the reference's outlines in green and the warning's box in red). "
             "reference_miss: the box holds a nucleus, or part of one, that the reference leaves unlabelled. "
             "reference_defect: the reference's label really has the defect named. unsure: a real structure that a "
             "labelling convention may or may not count as an object. false_alarm: the warning is wrong. "
             "unreviewed: no verdict yet. Judged by the developer, not by a biologist; the crops are here so that "
             "anyone can check.")


def absolute_boxes(finding, window) -> list[tuple[int, int, int, int]]:
    """The finding's boxes in frame coordinates (the whole tile for a finding
    without a location)."""
    _, rows, cols = window
    boxes = finding.boxes or [(0, 0, rows.stop - rows.start, cols.stop - cols.start)]
    return [(rows.start + r0, cols.start + c0, rows.start + r1, cols.start + c1) for r0, c0, r1, c1 in boxes]


def box_iou(first, second) -> float:
    rows = max(0, min(first[2], second[2]) - max(first[0], second[0]))
    cols = max(0, min(first[3], second[3]) - max(first[1], second[1]))
    overlap = rows * cols
    area = lambda box: (box[2] - box[0]) * (box[3] - box[1])  # noqa: E731
    return overlap / max(area(first) + area(second) - overlap, 1)


def audit_entry(audit: list[dict], frame: int, criterion: str, box) -> dict | None:
    """The audited finding at this place (same frame and criterion, boxes
    overlapping by IoU >= 0.5), if any."""
    matches = [(box_iou(entry["box"], box), entry) for entry in audit
               if entry["frame"] == frame and entry["criterion"] == criterion]
    best = max(matches, key=lambda match: match[0], default=(0.0, None))
    return best[1] if best[0] >= 0.5 else None


def load_audit() -> list[dict]:
    """Every verdict, each with the folder that holds its crop."""
    return [{**entry, "folder": path.parent.name} for path in sorted(RESULTS.glob(AUDITS))
            for entry in json.loads(path.read_text())["findings"]]


def audit_crop(images, masks, frame: int, box, caption: str, margin: int = 30):
    """The image around a finding, twice: plain, and with the reference's
    outlines (green) and the finding's box (red); for judging by eye."""
    from PIL import Image, ImageDraw
    from skimage import segmentation

    r0, c0, r1, c1 = box
    top, left = max(r0 - margin, 0), max(c0 - margin, 0)
    bottom, right = min(r1 + margin, images.shape[1]), min(c1 + margin, images.shape[2])
    low, high = np.percentile(images[frame], (1, 99.8))
    grey = np.clip((images[frame, top:bottom, left:right] - low) / max(high - low, 1), 0, 1) ** 0.5
    plain = np.stack([grey] * 3, axis=-1)
    outlined = plain.copy()
    outlined[segmentation.find_boundaries(masks[frame, top:bottom, left:right])] = (0, 1, 0)
    gap = np.ones((plain.shape[0], 4, 3))
    scale = 3
    pair = (np.concatenate([plain, gap, outlined], axis=1) * 255).astype(np.uint8)
    picture = Image.fromarray(pair).resize((pair.shape[1] * scale, pair.shape[0] * scale), Image.NEAREST)
    draw_on = ImageDraw.Draw(picture)
    offset = (plain.shape[1] + 4) * scale
    draw_on.rectangle([(c0 - left) * scale + offset, (r0 - top) * scale,
                       (c1 - left) * scale + offset, (r1 - top) * scale], outline=(255, 0, 0), width=2)
    draw_on.text((4, 4), caption, fill=(255, 255, 0))
    return picture


def write_audit_sheets(entries: list[dict], images, masks, folder: Path, per_sheet: int = 6) -> None:
    """Numbered crops of every warning on a clean tile, six to a sheet, and
    the audit file to fill in (existing verdicts kept)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    width, height = 560, 300
    for start in range(0, len(entries), per_sheet):
        sheet = Image.new("RGB", (2 * width, height * ((per_sheet + 1) // 2)), (40, 40, 40))
        for slot, entry in enumerate(entries[start:start + per_sheet]):
            crop = audit_crop(images, masks, entry["frame"], entry["box"],
                              f"#{entry['number']} t{entry['frame']} {entry['criterion']}: {entry['verdict']}")
            crop.thumbnail((width - 6, height - 6))
            sheet.paste(crop, ((slot % 2) * width, (slot // 2) * height))
        sheet.save(folder / f"sheet_{start // per_sheet:02d}.jpg", quality=85)
    (folder / "verdicts.json").write_text(json.dumps({"how": AUDIT_HOW, "findings": entries}, indent=1))


def overlay(image, reference, findings) -> np.ndarray:
    from PIL import Image, ImageDraw
    from skimage import segmentation

    low, high = np.percentile(image, (1, 99.5))
    grey = np.clip((image.astype(float) - low) / max(high - low, 1), 0, 1) ** 0.5
    rgb = np.stack([grey] * 3, axis=-1)
    rgb[segmentation.find_boundaries(reference)] = (0, 1, 0)
    picture = Image.fromarray((rgb * 255).astype(np.uint8))
    draw_on = ImageDraw.Draw(picture)
    for finding in findings:
        colour = {"missed_objects": "red", "prelabel_agreement": "yellow"}.get(finding.criterion, "magenta")
        for r0, c0, r1, c1 in finding.boxes:
            draw_on.rectangle([c0, r0, c1, r1], outline=colour, width=1)
    return np.asarray(picture)


def save_figure(tiles: list[np.ndarray], path: Path) -> None:
    from PIL import Image

    if not tiles:
        return
    tiles = tiles + [np.zeros_like(tiles[0])] * (-len(tiles) % 4)
    rows = [np.concatenate(tiles[i:i + 4], axis=1) for i in range(0, len(tiles), 4)]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def synthetic_label(size: int, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    labels = np.zeros((size, size), np.int32)
    radius = max(int(np.sqrt(size * size * 0.3 / count / np.pi)), 3)
    centers = rng.integers(radius, size - radius, (count, 2))
    for index, (row, col) in enumerate(centers, start=1):
        labels[draw.disk((row, col), radius, shape=labels.shape)] = index
    image = (np.where(labels > 0, 1800, 400) + rng.normal(0, 50, labels.shape)).astype(np.uint16)
    return labels, image


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-objects", type=int, default=3, help="skip tiles with fewer nuclei")
    parser.add_argument("--no-timing", action="store_true", help="skip the large-mask timings")
    parser.add_argument("--audit-sheets", type=Path, metavar="DIR",
                        help="write numbered crops of every warning on a clean tile and an audit file to fill in")
    parser.add_argument("--frames", default="0-19", help="frames to take tiles from, FIRST-LAST (e.g. 14-19: the "
                                                         "U-Net's test frames)")
    parser.add_argument("--criterion", type=parse_step, action="append", default=[], metavar="NAME:k=v,...",
                        help="a project's inspection setting to try (results: ..._tuned)")
    parser.add_argument("--triton-url", help="agreement against the U-Net this Triton serves instead of the "
                                             "classical default pre-label (results: inspect_hela_unet)")
    parser.add_argument("--calibrate-on", metavar="FIRST-LAST",
                        help="calibrate the criteria on the reference labels of these frames' tiles, as a project "
                             "does on its accepted labels (results: ..._calibrated)")
    return parser.parse_args()


@dataclass
class Tally:
    """What the inspection said on the clean and the corrupted tiles."""
    tiles: int = 0
    false_alarms: int = 0
    unconfirmed_alarms: int = 0
    audited_alarms: int = 0
    # Object level: reference objects, and the objects or places warned about on clean tiles (each warned
    # object, each box of a missing-object claim, each finding without a place), before and after the audit.
    objects: int = 0
    object_alarms: int = 0
    audited_object_alarms: int = 0
    raised: dict = field(default_factory=dict)
    hits: dict = field(default_factory=lambda: {corruption: 0 for corruption in CORRUPTIONS})
    sources: dict = field(default_factory=dict)
    audit_rows: list = field(default_factory=list)
    figure: list = field(default_factory=list)

    def verdicts(self) -> dict:
        counted = {}
        for row in self.audit_rows:
            counted[row["verdict"]] = counted.get(row["verdict"], 0) + 1
        return counted


def _audit_alarms(tally: Tally, clean: list, window, audit) -> bool:
    """Record each warning on a clean tile with its verdict from the audit;
    whether every one of them was judged a fault of the reference."""
    excused = True
    for finding in alarms(clean):
        for box in absolute_boxes(finding, window):
            entry = audit_entry(audit, window[0], finding.criterion, box)
            verdict = entry["verdict"] if entry else "unreviewed"
            excused &= verdict in JUSTIFIED
            tally.object_alarms += 1
            tally.audited_object_alarms += verdict not in JUSTIFIED
            tally.audit_rows.append({"number": len(tally.audit_rows), "frame": window[0],
                                     "criterion": finding.criterion, "box": list(map(int, box)),
                                     "message": finding.message, "verdict": verdict,
                                     "note": entry.get("note", "") if entry else "",
                                     "folder": entry["folder"] if entry else None})
    return excused


def _inspect_tiles(tiles, masks, settings, triton, rng) -> Tally:
    """Inspect each reference tile (false alarms) and each corruption of it (detection)."""
    audit, tally = load_audit(), Tally(tiles=len(tiles))
    for window, image, reference in tqdm(tiles, desc="tiles", file=sys.stderr):
        reference = measure.label(reference > 0) if reference.max() <= 1 else reference.astype(np.int32)
        inspection = inspect_label(reference, image, settings=settings, triton=triton)
        clean = inspection.findings
        tally.objects += len(inspection.objects)
        tally.sources[inspection.prelabel_source] = tally.sources.get(inspection.prelabel_source, 0) + 1
        if alarms(clean):
            tally.false_alarms += 1
            for finding in alarms(clean):
                tally.raised[finding.criterion] = tally.raised.get(finding.criterion, 0) + 1
            unexplained = [f for f in alarms(clean)
                           if not (claims_missing(f) and all(confirmed_elsewhere(b, window, masks) for b in f.boxes))]
            tally.unconfirmed_alarms += bool(unexplained)
            tally.audited_alarms += not _audit_alarms(tally, clean, window, audit)
            if len(tally.figure) < 8:
                tally.figure.append(overlay(image, reference, alarms(clean)))
        for corruption, corrupt in CORRUPTIONS.items():
            corrupted, region = corrupt(reference, rng)
            found = inspect_label(corrupted, image, settings=settings, triton=triton).findings
            tally.hits[corruption] += detected(clean, found, region)
    return tally


def _timings(rng) -> dict[str, float]:
    timing = {}
    for size, count in ((2048, 500), (8192, 5000)):
        labels, image = synthetic_label(size, count, rng)
        timing[f"{size}² mask, {count} objects, image and default pre-label"] = \
            median_seconds(lambda: inspect_label(labels, image), 3)[0]
        timing[f"{size}² mask, {count} objects, mask only"] = median_seconds(lambda: inspect_label(labels), 3)[0]
    return timing


def _report(args, settings, tally: Tally, timing: dict, name: str) -> str:
    total, hits, verdicts = tally.tiles, tally.hits, tally.verdicts()
    detection = sum(hits.values()) / (total * len(CORRUPTIONS))
    lines = ["# Label inspection on the HeLa reference masks", "",
             f"{total} tiles of {args.tile}² (at least {args.min_objects} nuclei) from frames {args.frames}; "
             + (f"settings {settings.criteria}; " if settings.criteria else "default criteria; ")
             + "agreement against "
             + ("the U-Net served by Triton" if args.triton_url else "the classical default pre-label")
             + f" (pre-label source per clean tile: {tally.sources}).", "",
             f"**False alarms:** {tally.false_alarms}/{total} clean tiles = {tally.false_alarms / total:.1%} "
             f"(findings by criterion: {', '.join(f'{k} {v}' for k, v in sorted(tally.raised.items())) or 'none'})",
             "",
             f"**False alarms, confirmed reference misses excluded:** {tally.unconfirmed_alarms}/{total} = "
             f"{tally.unconfirmed_alarms / total:.1%}", "",
             f"**False alarms after the audit by eye:** {tally.audited_alarms}/{total} = "
             f"{tally.audited_alarms / total:.1%} (verdicts on the {len(tally.audit_rows)} warnings: "
             f"{', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))}; a tile counts unless every warning "
             "on it is a reference_miss or reference_defect; crops in inspect_hela*_audit/)", "",
             f"**Object level:** warnings on {tally.object_alarms} of {tally.objects} clean reference objects "
             f"= {tally.object_alarms / max(tally.objects, 1):.2%} (each warned object, each box of a missing-object "
             f"claim, each finding without a place); after the audit {tally.audited_object_alarms} = "
             f"{tally.audited_object_alarms / max(tally.objects, 1):.2%}", "",
             f"**Detection:** {detection:.1%} of {total * len(CORRUPTIONS)} corrupted tiles", "",
             "| corruption | detected |", "|---|---:|"]
    lines += [f"| {corruption} | {count}/{total} = {count / total:.1%} |" for corruption, count in hits.items()]
    lines += ["", "| inspection time (median of 3) | seconds |", "|---|---:|"]
    lines += [f"| {label} | {seconds:.3f} |" for label, seconds in timing.items()]
    command = f"python benchmarks/bench_inspect.py --tile {args.tile} --seed {args.seed}" + \
        ("" if args.frames == "0-19" else f" --frames {args.frames}") + \
        "".join(f" --criterion {n}:" + ",".join(f"{k}={v}" for k, v in p.items()) for n, p in args.criterion) + \
        (f" --calibrate-on {args.calibrate_on}" if args.calibrate_on else "") + \
        (" --triton-url HOST:PORT --no-timing" if args.triton_url else "")
    lines += footer(machine(), command)
    lines += ["", f"![Warnings on clean reference tiles]({name}_alarms.png)", "",
              "The first eight clean tiles with a warning: reference outlines in green, boxes of missing-object "
              "warnings in red (unlabelled object-like region) and yellow (pre-labelled object not in the label), "
              "others in magenta.", ""]
    return "\n".join(lines)


def main() -> int:
    args = _arguments()
    first, _, last = args.frames.partition("-")
    frames = range(int(first), int(last or first) + 1)
    name = ("inspect_hela_unet" if args.triton_url else "inspect_hela") + \
        ("" if args.frames == "0-19" else f"_frames_{first}_{last or first}") + ("_tuned" if args.criterion else "")
    settings = InspectionSettings(args.criterion).check()
    images, masks = hela_frames()
    if args.calibrate_on:
        from labelassist.inspect.calibration import calibrate

        low, _, high = args.calibrate_on.partition("-")
        training = range(int(low), int(high or low) + 1)
        windows = [w for w in tile_windows(images.shape, args.tile) if w[0] in training]
        calibration = calibrate([masks[w] for w in windows], [images[w] for w in windows])
        settings = calibration.under(settings)
        name += "_calibrated"
    triton = None
    if args.triton_url:
        from labelassist.models.triton import TritonClient

        triton = TritonClient(args.triton_url)
        if not triton.model_ready():
            raise SystemExit(f"no U-Net is ready in Triton at {args.triton_url}")
    rng = np.random.default_rng(args.seed)
    windows = [w for w in tile_windows(images.shape, args.tile)
               if w[0] in frames and len(np.unique(masks[w])) - 1 >= args.min_objects
               and len(interior_ids(masks[w])) >= 2]
    tally = _inspect_tiles([(w, images[w], masks[w]) for w in windows], masks, settings, triton, rng)
    if args.audit_sheets:
        # Warnings judged in another run's folder keep their crops there.
        write_audit_sheets([{k: v for k, v in row.items() if k != "folder"} for row in tally.audit_rows
                            if row["folder"] in (None, args.audit_sheets.name)], images, masks, args.audit_sheets)
    timing = {} if args.no_timing else _timings(rng)
    table = _report(args, settings, tally, timing, name)
    save_figure(tally.figure, RESULTS / f"{name}_alarms.png")
    detection = sum(tally.hits.values()) / (tally.tiles * len(CORRUPTIONS))
    write_results(name, {"tiles": tally.tiles, "prelabel_sources": tally.sources, "false_alarms": tally.false_alarms,
                         "false_alarms_unconfirmed": tally.unconfirmed_alarms,
                         "false_alarms_after_audit": tally.audited_alarms, "audit_verdicts": tally.verdicts(),
                         "objects": tally.objects, "object_alarms": tally.object_alarms,
                         "object_alarms_after_audit": tally.audited_object_alarms,
                         "raised_on_clean": tally.raised, "detected": tally.hits, "detection_rate": detection,
                         "timing_s": timing, "machine": machine()}, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
