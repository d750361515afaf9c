"""The one rule for names that become file names on a server (sample stems):
whatever a client sends or a database holds, a name never leads outside the
folder it is written to."""

from __future__ import annotations

MAX_NAME_LENGTH = 200
RULE = ("1 to 200 characters, no '/' or '\\\\', no control characters, not starting with '.' "
        "(so not '.' or '..')")


def check_sample_name(name: str, what: str = "stem") -> str:
    """``name`` if it is safe as a file name, else ``ValueError`` naming the rule.

    Parameters
    ----------
    name : str
        A sample's stem, as sent or as stored.
    what : str
        How the name is called in the message.

    Returns
    -------
    str
        ``name`` unchanged.

    Raises
    ------
    ValueError
        When ``name`` breaks the rule.
    """
    if not name:
        raise ValueError(f"'{what}' must be set: a name of {RULE}")
    problem = None
    if len(name) > MAX_NAME_LENGTH:
        problem = f"it has {len(name)} characters"
    elif "/" in name or "\\" in name:
        problem = "it contains a path separator"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        problem = "it contains a control character"
    elif name.startswith("."):
        problem = "it starts with '.'"
    if problem:
        raise ValueError(f"'{what}' {name[:60]!r} is not a safe sample name: {problem}; a name has {RULE}")
    return name
