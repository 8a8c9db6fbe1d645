"""Spark domain: the warehouse built on Spark from the Parquet hand-off (GOVDW_TARGET=spark)."""
