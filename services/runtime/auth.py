"""Who is calling and what they may do: bearer tokens map to an identity
with a role per project (annotator, reviewer, admin).

The roles file (``--roles-file``, TOML) lists identities::

    [[identity]]
    name = "alice"
    token_sha256 = "9f86d0…"       # or token = "…" (the hash keeps it off disk)
    projects = { hela = "annotator", spheroids = "reviewer" }

    [[identity]]
    name = "lab-admin"
    token_sha256 = "…"
    projects = { "*" = "admin" }     # every project, and creating them

Plain ``--token`` values are service accounts: admin everywhere. Without
any token or roles file the services are open (loopback development) and
every check passes; with a roles file, authentication is on even while the
file lists nobody (then every call is refused until someone is added). The file is read again when it changes (an annotator added, a role
withdrawn) without a restart; an edit that does not parse leaves the last
good identities in force and is logged.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.runtime.errors import PermissionDeniedError

ALL_PROJECTS = "*"
# What each role may do; admin may do everything.
PERMISSIONS = {
    "annotator": frozenset({"lease", "fetch", "submit", "progress", "compute"}),
    "reviewer": frozenset({"fetch", "read_labels", "progress", "export", "compute", "review"}),
    "admin": frozenset({"lease", "fetch", "submit", "progress", "compute", "read_labels", "export", "review",
                        "register", "train", "create_project", "configure", "delete", "rename"}),
}
ROLES = tuple(PERMISSIONS)


@dataclass(frozen=True)
class Identity:
    name: str
    token_sha256: str
    projects: dict[str, str] = field(default_factory=dict)

    def role(self, project: str) -> str | None:
        return self.projects.get(project) or self.projects.get(ALL_PROJECTS)

    def may(self, permission: str, project: str | None = None) -> bool:
        """With no project: may they do it in some project (or, for
        create_project, everywhere)?"""
        if project is None:
            if permission == "create_project":
                return self.projects.get(ALL_PROJECTS) == "admin"
            return any(permission in PERMISSIONS[role] for role in self.projects.values())
        role = self.role(project)
        return role is not None and permission in PERMISSIONS[role]

    def sees(self, project: str) -> bool:
        return self.role(project) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RolesError(ValueError):
    """The roles file cannot be used; the message names the file and the entry."""


def load_identities(path: str | Path | None, plain_tokens: tuple[str, ...] = ()) -> tuple[Identity, ...]:
    identities = [Identity(f"service-account-{index}", token_hash(token), {ALL_PROJECTS: "admin"})
                  for index, token in enumerate(plain_tokens, start=1)]
    if path:
        try:
            document = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise RolesError(f"roles file {path}: {error}") from None
        for number, entry in enumerate(document.get("identity", []), start=1):
            where = f"roles file {path}, identity {number}"
            name = entry.get("name")
            digest = entry.get("token_sha256") or (token_hash(entry["token"]) if entry.get("token") else None)
            if not name or not digest:
                raise RolesError(f"{where}: needs 'name' and 'token_sha256' (or 'token')")
            projects = dict(entry.get("projects", {}))
            bad = {p: r for p, r in projects.items() if r not in ROLES}
            if bad:
                raise RolesError(f"{where} ({name}): unknown role(s) {bad}; roles are {', '.join(ROLES)}")
            identities.append(Identity(name, digest.lower(), projects))
    names = [i.name for i in identities]
    if len(set(names)) != len(names):
        raise RolesError(f"roles file {path}: identity names must be unique")
    return tuple(identities)


class IdentitySource:
    """The identities a service knows now. The roles file is looked at again
    at most every ``interval`` seconds (a stat on the request path) and read
    when its modification time or size changed, which also catches the
    in-place swap of a mounted Kubernetes Secret."""

    def __init__(self, path: str | Path | None, plain_tokens: tuple[str, ...] = (), interval: float = 2.0):
        self.path, self.plain_tokens, self.interval = path, plain_tokens, interval
        self._identities = load_identities(path, plain_tokens)
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            status = Path(self.path).stat() if self.path else None
        except OSError:
            return None
        return (status.st_mtime_ns, status.st_size) if status else None

    def current(self) -> tuple[Identity, ...]:
        if self.path and time.monotonic() - self._checked >= self.interval and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                stamp = self._file_stamp()
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._reload()
            finally:
                self._lock.release()
        return self._identities

    def _reload(self) -> None:
        try:
            identities = load_identities(self.path, self.plain_tokens)
        except RolesError as error:
            logging.getLogger("labelassist.auth").error("kept the previous identities: %s", error)
            return
        self._identities = identities
        logging.getLogger("labelassist.auth").info("roles file %s read again: %d identities",
                                                   self.path, len(identities))

    def __bool__(self) -> bool:
        """Whether authentication is configured, however many identities are known now."""
        return bool(self.path or self.plain_tokens)

    def __len__(self) -> int:
        return len(self._identities)


def find_identity(identities: tuple[Identity, ...], token: str) -> Identity | None:
    digest = token_hash(token)
    for identity in identities:
        if hmac.compare_digest(digest, identity.token_sha256):
            return identity
    return None


_caller: contextvars.ContextVar[tuple[Identity, str] | None] = contextvars.ContextVar("caller", default=None)


def set_caller(identity: Identity, token: str) -> None:
    _caller.set((identity, token))


def caller_token() -> str | None:
    """The caller's own token, for calls a service makes on its behalf
    (assist fetching a sample from the selector)."""
    current = _caller.get()
    return current[1] if current else None


def caller() -> Identity | None:
    """The identity of the call being served; None when auth is off."""
    current = _caller.get()
    return current[0] if current else None


def require(permission: str, project: str | None = None) -> None:
    """PERMISSION_DENIED unless the caller may do ``permission`` in ``project``."""
    identity = caller()
    if identity is None or identity.may(permission, project):
        return
    action = permission.replace("_", " ")
    if project is None:
        raise PermissionDeniedError(f"'{identity.name}' may not {action} (needs the admin role on every project)")
    role = identity.role(project)
    raise PermissionDeniedError(f"'{identity.name}' may not {action} in project '{project}' "
                                f"(role: {role or 'none'})")


def require_institute_admin(action: str, why: str) -> None:
    """PERMISSION_DENIED unless the caller is admin of every project (``"*" = "admin"``)."""
    identity = caller()
    if identity is None or identity.projects.get(ALL_PROJECTS) == "admin":
        return
    raise PermissionDeniedError(f"'{identity.name}' may not {action}: {why}, so it needs the admin role on "
                                f"every project (\"*\" = \"admin\" in the roles file)")


def annotator_name(requested: str) -> str:
    """The name a lease or label is recorded under: the caller's own, never
    someone else's."""
    identity = caller()
    if identity is None:
        return requested
    if requested and requested != identity.name:
        raise PermissionDeniedError(f"the token belongs to '{identity.name}'; it cannot act as '{requested}'")
    return identity.name
