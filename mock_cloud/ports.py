"""The cloud's usual loopback ports, importable without the cloud (the `lblab` command's options)."""

DEFAULT_EDGE_PORT = 4580
DEFAULT_API_PORT = 4566
