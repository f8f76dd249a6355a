"""One module a subcommand, each with ``register(subparsers)`` that sets ``func``."""
