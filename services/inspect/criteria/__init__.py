"""Inspection criteria: each a function from a label (and its image and
pre-label) to the findings it raises, registered in :data:`CRITERIA`.
Defaults suit 2D fluorescence microscopy of cells and nuclei."""

from labelassist.inspect.criteria import geometry, image, outline  # noqa: F401 - importing registers them
from labelassist.inspect.criteria.base import (CRITERIA, SEVERITIES, Finding, LabelUnderInspection, missing_regions,
                                               region_boxes, touches_border)

__all__ = ["CRITERIA", "SEVERITIES", "Finding", "LabelUnderInspection", "missing_regions", "region_boxes",
           "touches_border"]
