"""The annotator in the browser: an ASGI gateway (Starlette under uvicorn)
that serves the browser app and a small HTTP API over the SDK.

The gateway keeps no state of its own: each request carries the annotator's
bearer token, which the SDK passes on to the services, so the services'
roles, leases and limits decide everything (see docs/web.md).
"""
