"""One module per `edgeway` sub-command; each exposes ``register(subparsers)``."""
