"""The operations every surface calls: run a task, a batch, a run record, output formatting, model downloads.
Imports everything below it (core to components, documents, policy); tasks load through the registry."""
