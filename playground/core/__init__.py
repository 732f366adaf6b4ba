"""Foundation of the playground: errors, secrets kept out of text, logs, budgets, files. Imports no other part of it."""
