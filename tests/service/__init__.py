"""The service layer: runs and batches, run records, downloads."""
