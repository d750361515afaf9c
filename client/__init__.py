"""The Python SDK and desktop client. Installs light: grpcio, protobuf and
numpy, never torch, scikit-image or Triton."""

from labelassist.client.sdk import LabelAssistClient, PrelabelOutcome, ServiceAddresses

__all__ = ["LabelAssistClient", "PrelabelOutcome", "ServiceAddresses"]
