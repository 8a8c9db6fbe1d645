"""PostgreSQL domain: the warehouse built and published on PostgreSQL (GOVDW_TARGET=postgres)."""
