"""What analysts and offices read, made from the published warehouse: the 通报 (monthly,
quarterly and yearly bulletin), the offline dashboard and table exports for BI tools.

Every module here only reads the warehouse, through `govdw.query.open_published`.
"""
