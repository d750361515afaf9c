"""What every service runs on, and only the services (the SDK and the
clients use the contract, :mod:`labelassist.proto`, instead):

- :mod:`server` and :mod:`config`: one bootstrap (address, TLS, health,
  reflection, limits, graceful shutdown) and its flags;
- :mod:`interceptors`, :mod:`auth`, :mod:`calls`: authentication and roles,
  caps on calls and streams, cancellation that reaches the work;
- :mod:`errors`: the exceptions the cores raise and their status codes;
- :mod:`logs`, :mod:`metrics`: JSON logs and Prometheus metrics;
- :mod:`registry`: named, parameterised functions (operations, strategies,
  criteria) that the List calls, the CLI and the benchmarks read;
- :mod:`links`: calls from one service to another on the caller's behalf,
  one module per peer service;
- :mod:`names`, :mod:`paths`, :mod:`processes`: safe file names, dataset
  roots and private files, child processes that die with their parent.

Array codec, streaming, channels and addresses are the contract's
(:mod:`labelassist.proto.wire`)."""
