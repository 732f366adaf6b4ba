"""The built-in tasks, one module each, imported as `playground.tasks`. A module defines SPEC; the registry finds it.

Imports core, text, engines, runtime, components and documents; never service, evaluation or frontends.
"""
