"""Label Assistant: assisted segmentation labeling over gRPC."""

__version__ = "0.3.0"
