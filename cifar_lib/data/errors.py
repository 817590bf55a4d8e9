"""The one error type of the data layer."""


class DatasetError(ValueError):
    """A data source is missing, malformed or corrupt; the message names the path and the problem."""
