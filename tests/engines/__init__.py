"""The engines: the model backends (in process and on an OpenAI-compatible server), their parameters, the
embedding cache, and the loopback stand-in server they are tested against."""
