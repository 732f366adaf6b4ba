"""Stand-in servers on loopback for tests and benches: a stub OpenAI-compatible server and a llama.cpp server.
Imports core and engines."""
