"""Benchmarks behind `callerid bench NAME`: each module has `add_arguments(parser)` and `run(args) -> int`.

They print figures; they never pass or fail on timing (tests check behaviour, benchmarks measure).
"""
