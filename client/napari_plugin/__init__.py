"""The napari plugin: a dock widget over the SDK that brings the services'
workflow into napari (Next, pre-label, refine, click-to-segment, inspect,
submit) while napari's own tools do the editing. Installed with the
``napari`` extra; napari finds it through the ``napari.manifest`` entry
point (``napari.yaml``)."""
