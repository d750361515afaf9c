"""Label Assistant: assisted segmentation labeling over gRPC."""

__version__ = "0.2.0"
