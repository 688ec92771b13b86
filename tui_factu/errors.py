"""One exception hierarchy for the whole core. Messages are French and name the field and value
at fault; the CLI and the screens show them as they are."""
from .charset import printable


class FactuError(Exception):
    """A refused request: exit code 2 on the command line, a notification on screen."""

    def __init__(self, message: str, field: str | None = None, value=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def __str__(self) -> str:
        return printable(self.message)         # a value typed with escape codes never reaches a terminal raw


class InvalidValue(FactuError):
    """A field holds a value the business rules refuse."""

    def __init__(self, field: str, value, reason: str):
        shown = "" if value is None else f" « {value} »"
        super().__init__(f"{field} : {reason}{shown}", field, value)


class NotFound(FactuError):
    pass


class Conflict(FactuError):
    """Someone else changed the record since it was read (optimistic locking)."""


class StateError(FactuError):
    """The operation does not fit the document's current status."""


class IntegrityFailure(FactuError):
    """The journal no longer matches the data (exit code 1)."""
