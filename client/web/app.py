"""The gateway as an ASGI application: the API routes, the browser app's
static files, and the guards around both."""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from labelassist.client.addresses import ServiceAddresses
from labelassist.client.web import agreement
from labelassist.client.web.clients import ClientPool
from labelassist.client.web.classes import SchemaCache
from labelassist.client.web.routes import ROUTES
from labelassist.client.web.security import EXCEPTION_HANDLERS, Guard
from labelassist.client.web.masks_ahead import MasksAhead

STATIC = Path(__file__).parent / "static"
# A 4096² uint32 label, gzip or not, with room to spare; bigger images are
# labelled in the desktop client, which streams them in chunks.
DEFAULT_MAX_BODY_BYTES = 80 << 20


def create_app(addresses: ServiceAddresses, tls_root: Path | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, metrics=None):
    """The gateway for the services at ``addresses``.

    Parameters
    ----------
    addresses : ServiceAddresses
        Where selector, assist and inspect listen.
    tls_root : Path, optional
        The certificate the services' TLS is checked against.
    max_body_bytes : int
        The largest request body, and the largest label it may unpack to.
    metrics : callable, optional
        Wraps the application to count its requests (``GatewayMetrics``).

    Returns
    -------
    ASGI application
    """
    if max_body_bytes <= 0:
        raise ValueError(f"max_body_bytes must be above 0, got {max_body_bytes}")
    clients = ClientPool(addresses, tls_root)
    masks_ahead = MasksAhead()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        masks_ahead.close()
        clients.close()

    app = Starlette(routes=[*ROUTES, *agreement.ROUTES,
                            Mount("/", StaticFiles(directory=STATIC, html=True), name="app")],
                    exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.clients = clients
    app.state.class_schemas = SchemaCache()
    app.state.masks_ahead = masks_ahead
    app.state.max_body_bytes = max_body_bytes
    wrapped = Guard(app, max_body_bytes)
    return metrics(wrapped) if metrics is not None else wrapped
