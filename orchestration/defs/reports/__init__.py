"""Reports domain: dashboard, table exports and monthly 通报 made from the published warehouse."""
