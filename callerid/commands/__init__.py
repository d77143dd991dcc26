"""One module per `callerid` command: `add_arguments(parser)` and `run(args) -> int`."""
