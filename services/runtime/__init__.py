"""The one runtime every service and the SDK share: array codec, streaming,
errors, auth, configuration and server bootstrap."""
