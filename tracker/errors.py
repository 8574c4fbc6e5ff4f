"""The exceptions the library raises. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class TrackerError(Exception):
    """Base class: something the user can act on. ``exit_code`` is what the CLI returns."""

    exit_code = 1
    hint: str | None = None


class ConfigError(TrackerError):
    """The policy file is invalid. Raised before anything is touched."""

    exit_code = 2

    def __init__(self, file: str, faults: list[tuple[str, str]]) -> None:
        self.file = file
        self.faults = faults  # (key path, what is wrong)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.file}: {key or '(top level)'}: {fault}" for key, fault in self.faults]
        return "\n".join(lines)


class StoreError(TrackerError):
    """The local store cannot be opened, migrated or written."""

    exit_code = 3


class DamagedStore(StoreError):
    """The store's file is not sound: cut short, bad pages, or not SQLite at all."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message  # what is wrong, in SQLite's words


class ForeignStore(StoreError):
    """The file is SQLite but not a tracker store, or one from a newer tracker; left as it is."""


class NotFound(TrackerError):
    """A ticket, comment or preset that was asked for does not exist."""

    exit_code = 4


class HubError(TrackerError):
    """The hub (GitHub) failed in a way that retrying now will not fix."""

    exit_code = 5


class BudgetExhausted(HubError):
    """The API budget fell to the configured floor; the run stopped cleanly."""

    exit_code = 6
    hint = "The next scheduled run will continue where this one stopped."


class UsageError(TrackerError):
    """The command line asked for something inconsistent."""

    exit_code = 2


class StoreMissing(UsageError):
    """A command that reads the desk was pointed at a store that does not exist.

    Only the commands that create a desk may create its store; a mistyped ``--db`` stops
    here instead of leaving an empty store behind.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
