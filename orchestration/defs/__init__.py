"""Asset, check, sensor and schedule definitions, one folder per domain."""
