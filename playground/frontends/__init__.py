"""The surfaces people use: the command line and the Gradio app (its HTTP API and MCP tools). May import
every other part; nothing imports it but app.py and `python -m playground`."""
