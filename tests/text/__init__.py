"""The text layer: files and rows, sentences, edits, style measures."""
