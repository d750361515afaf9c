"""The labelling session lives in :mod:`labelassist.client.session`, where
the desktop client and the napari widget both import it; this name stays
for scripts written against it."""

from labelassist.client.session import LabellingSession, LeasedSample, SubmitResult

__all__ = ["LabellingSession", "LeasedSample", "SubmitResult"]
