"""Hugging Face Spaces entry point: build the playground from the task registry and launch it."""

from playground.frontends.ui import launch

if __name__ == "__main__":
    launch()
