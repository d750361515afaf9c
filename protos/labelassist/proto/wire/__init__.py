"""The contract's Python side, shared by the services and the SDK alike:
arrays to and from chunk streams (:mod:`codec`, :mod:`streaming`),
channels (:mod:`channel`), parameter values (:mod:`values`), class
schemas (:mod:`classes`), where a stack's services are (:mod:`addresses`),
and allocator tuning for streaming (:mod:`memory`). It imports nothing of Label Assistant but the stubs."""
