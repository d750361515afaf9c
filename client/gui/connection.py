"""Where the services are and how to authenticate, and the last values the
settings dialog saved (never the token)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from PySide6.QtCore import QSettings


@dataclass(frozen=True)
class Connection:
    """Where the services are and how to authenticate: the settings dialog edits it."""
    selector: str
    assist: str
    inspect: str
    token: str = ""
    tls_root: str = ""

    @classmethod
    def from_addresses(cls, addresses: ServiceAddresses, token: str = "", tls_root: str = "") -> Connection:
        return cls(addresses.selector, addresses.assist, addresses.inspect, token or "", tls_root or "")

    def client(self) -> LabelAssistClient:
        return LabelAssistClient(ServiceAddresses(self.selector, self.assist, self.inspect),
                                 token=self.token or None, tls_root=self.tls_root or None, timeout=300)


def saved_connection(default: Connection) -> Connection:
    """The settings dialog's last values; the given default where none were saved."""
    settings = QSettings("LabelAssistant", "client")
    return replace(default, **{name: settings.value(name) for name in ("selector", "assist", "inspect", "tls_root")
                               if settings.value(name)})


def save_connection(connection: Connection) -> None:
    # The token is not written to disk.
    settings = QSettings("LabelAssistant", "client")
    for name in ("selector", "assist", "inspect", "tls_root"):
        settings.setValue(name, getattr(connection, name))
