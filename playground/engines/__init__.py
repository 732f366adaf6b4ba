"""Model engines: the catalogue of model names (no network while resolving one), generation parameters and the
backends (llama.cpp, transformers, sentence-transformers, OpenAI-compatible servers). Imports core and text."""
