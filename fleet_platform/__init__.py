"""The ``fleet_platform`` code location."""

from platform_shared.allocator import tune_polars_allocator

tune_polars_allocator()
