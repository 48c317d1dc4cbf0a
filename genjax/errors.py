"""The one exception type users see for bad input."""


class GenjaxError(ValueError):
  """A one-line, user-facing error: names what is wrong and what would be valid.

  The experiment mains print it on one line and exit non-zero, without a traceback.
  """
