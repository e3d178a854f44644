"""gunicorn's access log without personal data (``make serve``: ``--logger-class``).

The request line, path and referrer atoms go through :func:`lianfang.core.logfilters.strip_query`
(no query string — searches carry ID and phone numbers — and no link token: a household's link or a
pass code is a bearer credential), and the query-string atom is empty, whatever access-log format an
operator configures.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from lianfang.core.logfilters import strip_query


class ScrubbedLogger(Logger):
    """``gunicorn.glogging.Logger`` whose access-log atoms (request line, path, referrer, headers,
    environ) are scrubbed and whose query-string atoms are empty; everything else as gunicorn's."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():  # request line, path, referrer, headers ({…}i), environ ({…}e)
            if isinstance(value, str):
                atoms[key] = strip_query(value)
        atoms["q"] = ""
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = ""
        return atoms
