"""Public mode, the safety stage, secrets kept out of every answer and log, and public request budgets."""
