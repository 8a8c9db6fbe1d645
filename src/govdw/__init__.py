"""govdw: government-service exports in, a trustworthy DuckDB warehouse out."""

__version__ = "0.1.0"
