"""Model backends: one small interface, several engines, one shared pool."""

from .base import Backend, ChatMessage, Prompt
from .pool import POOL, ModelPool

__all__ = ["POOL", "Backend", "ChatMessage", "ModelPool", "Prompt"]
