"""The built-in tasks, one module each. A module defines SPEC; the registry finds it by itself."""
