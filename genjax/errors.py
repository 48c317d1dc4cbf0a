"""The one exception type users see for bad input."""


def one_line(error: BaseException, limit=200) -> str:
  """A library exception's message on one line (whitespace collapsed), at most `limit` chars
  (None: all)."""
  return " ".join(str(error).split())[:limit]


class GenjaxError(ValueError):
  """A user-facing error: one line per problem, each naming what is wrong and what would be
  valid. The experiment mains print each line as `error: ...` and exit 2, without a
  traceback (`genjax.cli`)."""
