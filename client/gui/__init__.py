"""The desktop client: a pyqtgraph/PySide6 app over the SDK."""
