"""The one exception the platform raises for problems a user can fix, printed as one line."""


class StackError(Exception):
    """A problem with a one-line explanation of what to do (install, free a port, read a log)."""
