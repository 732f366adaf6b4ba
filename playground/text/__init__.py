"""Text utilities the documents and the tasks share: files and rows, sentences, edits, style measures. Imports core."""
