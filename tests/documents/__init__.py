"""Document collections: readers, chunks, the store with keyword search, duplicate detection."""
