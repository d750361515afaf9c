"""The models floor: the U-Net (:mod:`unet`), its training (:mod:`training`),
the click model (:mod:`clicks`, :mod:`click_training`), the bundled
generalist weights (:mod:`generalist`, trained on :mod:`synthetic` scenes),
the Triton model repository (:mod:`repository`), a client per Triton URL
(:mod:`triton`), a local tritonserver (:mod:`tritonserver`), and BioImage.IO model packages
(:mod:`bioimage`, their declared processing in :mod:`processing`). Every
service that uses the model uses it from here."""

# The U-Net's name in the model repository and in Triton.
MODEL_NAME = "unet"
# The click model's (click-to-segment, :mod:`clicks`).
CLICK_MODEL_NAME = "clicknet"
