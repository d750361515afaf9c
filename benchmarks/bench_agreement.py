"""Many annotators, one truth, measured: simulated annotators with known
error profiles label HeLa tiles through a real selector with three
annotators per sample.

    python benchmarks/bench_agreement.py [--tiles 24] [--tile 256] [--seed 0]

Each simulated annotator draws the reference nuclei with boundary jitter
(each outline moved in or out by up to J pixels), missed objects, merged
neighbours and split objects at its own rates. A quarter of the samples
carry a planted disagreement: their first annotator drops most objects. The
selector leases every sample to three different annotators (SetOverlap 3),
builds the consensus (BuildConsensus), orders the adjudication queue and
estimates each annotator's quality. Measured:

- consensus against the reference vs the best single annotator: matched F1
  at IoU 0.5 and boundary F1 (2 px);
- Spearman's rank correlation of the estimated accuracy with the
  annotators' true error rate (negated);
- average precision of the adjudication queue for the planted samples;
- seconds for pairwise agreement and consensus of a 2048² label with 500
  objects per annotator (three annotators).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_consensus_cost import crowded_labels  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.imaging.agreement import pair_agreement  # noqa: E402
from labelassist.imaging.consensus import consensus_label  # noqa: E402

# (name, jitter px, missed, merged, split): rates per reference object.
PROFILES = [("ann-a", 1, 0.03, 0.02, 0.02), ("ann-b", 1, 0.06, 0.04, 0.03), ("ann-c", 2, 0.10, 0.06, 0.05),
            ("ann-d", 2, 0.16, 0.10, 0.08), ("ann-e", 3, 0.25, 0.15, 0.12)]
PLANTED_SHARE, PLANTED_DROP = 0.25, 0.7


def reference_tiles(count: int, size: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """HeLa tiles with enough nuclei, spread over the time-lapse."""
    try:
        from hela import hela_tiles
        tiles = hela_tiles(size)
    except Exception as error:  # noqa: BLE001 - no network: the bundled crop
        print(f"full HeLa unavailable ({error}); using the bundled crop", file=sys.stderr)
        from labelassist.io.bundled import hela_sample
        images, masks = hela_sample()
        half = min(size, 128)
        tiles = [(f"t{t}_y{y}_x{x}", images[t, y:y + half, x:x + half], masks[t, y:y + half, x:x + half])
                 for t in range(len(images)) for y in range(0, 256, half) for x in range(0, 256, half)]
    tiles = [t for t in tiles if len(np.unique(t[2])) > 6]
    step = max(len(tiles) // count, 1)
    return tiles[::step][:count]


def simulate(reference: np.ndarray, profile: tuple, rng: np.random.Generator, drop: float = 0.0
             ) -> tuple[np.ndarray, int, int]:
    """An annotator's label of the reference: (label, objects they got wrong, objects)."""
    from scipy import ndimage
    from skimage.morphology import disk

    _, jitter, missed, merged, split = profile
    ids = [int(i) for i in np.unique(reference) if i]
    label = np.zeros(reference.shape, np.int32)
    wrong = set()
    centroids = dict(zip(ids, ndimage.center_of_mass(np.ones_like(reference), reference, ids)))
    next_id = max(ids, default=0) + 1
    for object_id in ids:
        if rng.random() < max(missed, drop):
            wrong.add(object_id)
            continue
        mask = reference == object_id
        radius = int(rng.integers(-jitter, jitter + 1)) if jitter else 0
        if radius > 0:
            mask = ndimage.binary_dilation(mask, disk(radius)) & (label == 0) & ((reference == 0) | mask)
        elif radius < 0:
            eroded = ndimage.binary_erosion(mask, disk(-radius))
            mask = eroded if eroded.sum() > 10 else mask
        if abs(radius) >= 2:
            wrong.add(object_id)
        if rng.random() < split:
            wrong.add(object_id)
            rows, cols = np.nonzero(mask)
            half = mask.copy()
            half[:, : int(cols.mean())] = False
            label[mask] = object_id
            label[half] = next_id
            next_id += 1
            continue
        label[mask] = object_id
    for object_id in ids:
        if object_id in wrong or rng.random() >= merged:
            continue
        others = [o for o in ids if o != object_id and o not in wrong and (label == o).any()]
        if not others:
            continue
        nearest = min(others, key=lambda o: np.hypot(*np.subtract(centroids[o], centroids[object_id])))
        union = (label == object_id) | (label == nearest)
        bridged = ndimage.binary_closing(union, disk(4)) & ((label == 0) | union)
        label[bridged] = object_id
        wrong |= {object_id, nearest}
    return label, len(wrong), len(ids)


def start_selector(folder: Path) -> tuple[subprocess.Popen, str]:
    ready = folder / "ready.json"
    process = subprocess.Popen([sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1", "--port", "0",
                                "--data-dir", str(folder / "data"), "--ready-file", str(ready)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the selector did not start")
        time.sleep(0.1)
    return process, json.loads(ready.read_text())["address"]


def average_precision(ranked_positive: list[bool]) -> float:
    hits, total = 0, 0.0
    for rank, positive in enumerate(ranked_positive, start=1):
        if positive:
            hits += 1
            total += hits / rank
    return total / max(hits, 1)


def cost(repeats: int = 5) -> dict:
    """Seconds for every pair's agreement and the consensus of three labels of a 2048² image with 500
    objects, medians of ``repeats`` (``bench_consensus_cost.py`` splits the consensus by stage)."""
    labels = crowded_labels()
    consensus_label([label[:256, :256] for label in labels])  # a running service has its imports done

    def agreement():
        for i in range(3):
            for j in range(i + 1, 3):
                pair_agreement(labels[i], labels[j])

    # CPU seconds beside wall seconds: on a machine shared with other work the wall clock
    # counts their time too.
    found = {}
    for name, function, calls in (("pair_agreement", agreement, 3), ("consensus_of_three",
                                                                      lambda: consensus_label(labels), 1)):
        wall, cpu = [], []
        for _ in range(repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            function()
            wall.append((time.perf_counter() - started) / calls)
            cpu.append((time.process_time() - cpu_started) / calls)
        found[f"{name}_s"], found[f"{name}_cpu_s"] = float(np.median(wall)), float(np.median(cpu))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiles", type=int, default=24)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    tiles = reference_tiles(args.tiles, args.tile)
    planted = {name for name, _, _ in tiles if rng.random() < PLANTED_SHARE}
    truth: dict[str, list[int]] = {p[0]: [0, 0] for p in PROFILES}
    labelled: dict[str, dict[str, np.ndarray]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        process, address = start_selector(Path(folder))
        try:
            with LabelAssistClient(ServiceAddresses(selector=address), timeout=600) as client:
                client.create_project("agreement", strategy="random")
                client.add_samples("agreement", [{"stem": name, "image": image} for name, image, _ in tiles])
                client.set_overlap("agreement", 3)
                references = {name: mask for name, _, mask in tiles}
                active = list(PROFILES)
                while active:
                    for profile in list(active):
                        leased = client.next_sample("agreement", profile[0])
                        if leased.exhausted:
                            active.remove(profile)
                            continue
                        stem = leased.sample.stem
                        first = stem in planted and stem not in labelled
                        label, wrong, objects = simulate(references[stem], profile, rng,
                                                         PLANTED_DROP if first else 0.0)
                        if not first:
                            truth[profile[0]][0] += wrong
                            truth[profile[0]][1] += objects
                        labelled.setdefault(stem, {})[profile[0]] = label
                        client.submit_label(leased.sample.sample_id, profile[0], label)
                leasing_s = time.perf_counter() - started
                built = client.build_consensus("agreement")
                ids = {info.stem: info.sample_id for info in client.iter_samples("agreement")}
                consensus = {stem: client.get_sample(ids[stem], with_image=False).arrays["label"] for stem in ids}
                queue = client.adjudication_queue("agreement", limit=len(tiles))
                quality = {q.annotator: q for q in client.annotator_quality("agreement")}
        finally:
            process.terminate()
            process.wait(timeout=30)
    from scipy.stats import spearmanr

    def measured(label, reference):
        agreement = pair_agreement(label, reference)
        return agreement.f1, agreement.boundary_f1

    clean = [stem for stem in labelled if stem not in planted]
    per_annotator = {}
    for name, *_ in PROFILES:
        values = [measured(labels[name], references[stem]) for stem, labels in labelled.items()
                  if name in labels and stem not in planted]
        theirs = [measured(consensus[stem], references[stem]) for stem, labels in labelled.items()
                  if name in labels and stem not in planted]
        per_annotator[name] = {"samples": len(values), "f1": float(np.mean([v[0] for v in values])),
                               "boundary_f1": float(np.mean([v[1] for v in values])),
                               "consensus_f1": float(np.mean([v[0] for v in theirs])),
                               "consensus_boundary_f1": float(np.mean([v[1] for v in theirs])),
                               "true_error_rate": truth[name][0] / max(truth[name][1], 1),
                               "estimated_accuracy": quality[name].accuracy, "weight": quality[name].weight,
                               "kinds": {k: getattr(quality[name].kinds, k) for k in
                                         ("missed", "extra", "merged", "split", "wide", "narrow")}}
    merged_scores = [measured(consensus[stem], references[stem]) for stem in clean]
    result = {
        "tiles": len(tiles), "tile": args.tile, "planted": len(planted), "profiles": PROFILES,
        "annotators_per_sample": sorted({len(v) for v in labelled.values()}),
        "consensus": {"f1": float(np.mean([s[0] for s in merged_scores])),
                      "boundary_f1": float(np.mean([s[1] for s in merged_scores]))},
        "best_single": {"f1": max(a["f1"] for a in per_annotator.values()),
                        "boundary_f1": max(a["boundary_f1"] for a in per_annotator.values())},
        "annotators": per_annotator,
        "spearman": float(spearmanr([a["estimated_accuracy"] for a in per_annotator.values()],
                                    [-a["true_error_rate"] for a in per_annotator.values()])[0]),
        "adjudication_ap": average_precision([item.stem in planted for item in queue]),
        "consensus_versions": len(built.built), "services_s": time.perf_counter() - started,
        "leasing_and_labelling_s": leasing_s, "cost": cost(), "load": os.getloadavg()[0],
    }
    lines = ["# Many annotators, one truth (HeLa, simulated annotators, k = 3)", "",
             f"{result['tiles']} HeLa tiles of {args.tile}², {len(planted)} with a planted disagreement "
             f"(their first annotator drops {PLANTED_DROP:.0%} of the nuclei); five simulated annotators lease "
             "through a real selector with three different annotators per sample. Consensus and single "
             "annotators are measured against the reference on the tiles without a planted disagreement.", "",
             "| | matched F1 (IoU 0.5) | boundary F1 (2 px) |", "|---|---|---|",
             f"| consensus (BuildConsensus) | {result['consensus']['f1']:.3f} | "
             f"{result['consensus']['boundary_f1']:.3f} |",
             f"| best single annotator | {result['best_single']['f1']:.3f} | "
             f"{result['best_single']['boundary_f1']:.3f} |", "",
             "Each annotator below against the consensus on the same samples (the samples they labelled):", "",
             "| annotator | jitter px | missed | merged | split | true error rate | samples | F1 | boundary F1 | "
             "consensus F1 | consensus boundary F1 | estimated accuracy | weight |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (name, jitter, missed, merged_rate, split), row in zip(PROFILES, per_annotator.values()):
        lines.append(f"| {name} | {jitter} | {missed:.2f} | {merged_rate:.2f} | {split:.2f} | "
                     f"{row['true_error_rate']:.3f} | {row['samples']} | {row['f1']:.3f} | {row['boundary_f1']:.3f} | "
                     f"{row['consensus_f1']:.3f} | {row['consensus_boundary_f1']:.3f} | "
                     f"{row['estimated_accuracy']:.3f} | {row['weight']:.2f} |")
    lines += ["", f"Spearman (estimated accuracy vs. − true error rate): {result['spearman']:.2f}. "
              f"Adjudication queue, planted samples as positives: average precision {result['adjudication_ap']:.2f}.",
              "Cost on a 2048² label with 500 objects (medians of 5): pairwise agreement "
              f"{result['cost']['pair_agreement_s']:.2f} s "
              f"per pair ({result['cost']['pair_agreement_cpu_s']:.2f} s of CPU), consensus of three "
              f"{result['cost']['consensus_of_three_s']:.2f} s ({result['cost']['consensus_of_three_cpu_s']:.2f} s of "
              "CPU). The whole run through "
              f"the services: {result['services_s']:.0f} s. Load average at the end: {result['load']:.1f} "
              "(the machine's CPUs shared with other work: the seconds are upper bounds)."]
    return publish("agreement", result, lines, "python benchmarks/bench_agreement.py "
                   f"--tiles {args.tiles} --tile {args.tile} --seed {args.seed}")


if __name__ == "__main__":
    raise SystemExit(main())
