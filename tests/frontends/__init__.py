"""The surfaces: the command line, the Gradio app (in process, over HTTP, MCP and in a real browser)."""
