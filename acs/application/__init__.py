"""Use cases: load a device, let the domain decide, save the events. Synchronous; the API runs
them in a thread pool."""
