"""The imaging floor: what every service does to image and label arrays
(input checks), whatever the service. Plain numpy; no service imports."""
