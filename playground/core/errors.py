"""One error hierarchy for the engine; the edges (CLI, UI, HTTP) translate it into messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PlaygroundError(Exception):
    """Base class for every error a user can cause or fix; the message says how."""


class UnknownTaskError(PlaygroundError, KeyError):
    """The task name is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InputError(PlaygroundError, ValueError):
    """A task input is missing, empty, too long or not one of the allowed values."""


class RowError(InputError):
    """One row of a batch file cannot be read or run; `row_id` is the row's id (its line number by default)."""

    def __init__(self, message: str, row_id: object = None) -> None:
        super().__init__(message)
        self.row_id = row_id


class ParamError(PlaygroundError, ValueError):
    """A generation parameter is out of range or unknown."""


class ModelError(PlaygroundError):
    """A model cannot be found, loaded or run with the chosen engine."""


class TemplateError(PlaygroundError):
    """A prompt template is missing or does not match its task's inputs."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ' Did you mean X?' for the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
