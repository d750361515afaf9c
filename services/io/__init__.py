"""The I/O floor: image files (:mod:`images`), the dataset-folder format
(:mod:`dataset_folder`) and the bundled sample data (:mod:`bundled`).
Light (numpy, tifffile, Pillow), so the SDK, the desktop client and the
services read and write files the same way."""
