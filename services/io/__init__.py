"""The I/O floor: files on the user's disk, read and written the same way by
the SDK, the desktop client and the services. Light (numpy, tifffile,
Pillow); the vendor and OME-Zarr readers and the label formats import their
libraries (the ``formats`` extra) only when used (:mod:`extras`).

- images and their axes: :mod:`images` (read and write TIFF, PNG, JPEG),
  :mod:`axes` (a file's axes, the plane a 2D call works on), :mod:`vendor`
  (CZI, ND2, LIF), :mod:`zarr_images` (OME-Zarr), :mod:`metadata` (channel
  names, pixel size), :mod:`tiff_checks` (damaged TIFFs named);
- samples from files: :mod:`planes` (every plane and tile, with its origin),
  :mod:`project_files` (files and folders for a project), :mod:`dataset_folder`,
  :mod:`bundled` (the HeLa sample);
- intensities: :mod:`intensity` (percentile stretch, the models' input
  scale), :mod:`display` (8-bit display copies);
- label interchange: :mod:`formats` (COCO, CVAT, Label Studio, OME-TIFF,
  OME-Zarr);
- :mod:`confinement`: paths held inside chosen folders, files written
  without following links.

No gRPC and no runtime (an import-linter contract), and no import cycle
among these modules."""
