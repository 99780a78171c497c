"""Errors that reach the user as one line and an exit code (DESIGN §6: 2 = bad input, 1 = other failure)."""

from __future__ import annotations


class FoleykitError(Exception):
    """A failure foleykit explains in one line; never shown as a traceback."""

    exit_code = 1


class DiskFullError(FoleykitError):
    """A write was refused for lack of space (a full disk, a quota, a file-size limit). What was being
    written was removed; what was finished before it is kept. Exit code 1."""


class BadInputError(FoleykitError, ValueError):
    """The request, a file or an option is wrong: the user can fix it. Exit code 2."""

    exit_code = 2


class ModelNotAvailableError(BadInputError):
    """The model cannot be found or loaded here (unknown name, missing weights, offline and not cached)."""


class OutputExistsError(BadInputError):
    """An output file already exists and `force` was not given; nothing was generated."""
