"""Errors raised by the run-folder store (all subclasses of :class:`RunFolderError`)."""

from __future__ import annotations


class RunFolderError(Exception):
    """A run folder cannot be written or read as asked; the message names the folder."""


class RunExistsError(RunFolderError, FileExistsError):
    """The folder already holds a complete run (or files that are not a run's)."""


class IncompleteRunError(RunFolderError):
    """The folder has no COMPLETE marker: the run was interrupted or is still being written."""


class RunLockedError(RunFolderError):
    """Another process is writing the folder (it holds the folder's lock)."""
