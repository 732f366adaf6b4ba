"""The tasks, one module each under tasks/, on the fake backend and on the real embedded models."""
