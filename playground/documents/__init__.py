"""Document collections: readers, chunks, a vector store with keyword search, duplicates.
Imports core, text, engines and policy."""
