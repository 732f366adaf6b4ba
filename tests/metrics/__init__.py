"""The metric modules."""
