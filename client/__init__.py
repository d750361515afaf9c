"""The Python SDK and desktop client. Installs light: grpcio, protobuf and
numpy, never torch, scikit-image or Triton."""

from labelassist.client.results import (
    Box,
    Finding,
    Inspection,
    LabelErrorRanking,
    ObjectMeasurement,
    PrelabelOutcome,
    Severity,
    SuspectedError,
)
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.io.axes import AxisImage

__all__ = ["AxisImage", "Box", "Finding", "Inspection", "LabelAssistClient", "LabelErrorRanking", "ObjectMeasurement",
           "PrelabelOutcome", "ServiceAddresses", "Severity", "SuspectedError"]
