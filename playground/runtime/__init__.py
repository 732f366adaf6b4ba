"""The task runtime: the registry, inputs, templates in a bounded sandbox, the task context and the runners and
label scoring that tasks share. Imports core, text and engines."""
