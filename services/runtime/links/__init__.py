"""Calls from one service to another, one module per peer:
:mod:`~.selector` (sample images, project settings, labels, answers),
:mod:`~.assist` (pre-labels, operations, pre-label sources) and
:mod:`~.inspect` (criteria). Each is a :class:`~.peer.Link` over the
contract's :class:`~labelassist.proto.wire.calls.CallShapes`: the caller's
token goes along, UNAVAILABLE is retried, and the peer's error comes back
as this service's own with the peer's name before its message."""
