"""The task runtime: the registry, task specs and input validation, templates and their sandbox."""
