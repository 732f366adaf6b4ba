"""The core layer: request budgets."""
