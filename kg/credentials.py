"""Where ``kg push`` and ``kg query --endpoint`` find the user and password of a SPARQL server.

``--password`` lands in the shell's history, so the password may come from elsewhere.  In order:

1. ``--password`` (with ``--user``, or the user of ``$KG_USER``);
2. the environment: ``$KG_PASSWORD``, with ``--user`` or ``$KG_USER``;
3. the ``~/.netrc`` file (``$NETRC`` names another): the entry for the endpoint's host (or its
   ``default`` entry), read with the standard library's :mod:`netrc`; with ``--user`` or ``$KG_USER``
   only an entry for that login.

The first that gives a password wins; a user name with no password anywhere is sent with an
empty password (as before).  A server's refusal (HTTP 401) then says where the password came from
and where else kg looked, never the password:

    >>> found = find("http://127.0.0.1:8890/sparql-auth", "dba", None, environ={"KG_PASSWORD": "secret"})
    >>> found.user, found.origin
    ('dba', '$KG_PASSWORD')
    >>> print(found.refused("http://127.0.0.1:8890/sparql-auth"))  # doctest: +NORMALIZE_WHITESPACE
    http://127.0.0.1:8890/sparql-auth refused access (HTTP 401) to user 'dba' with the password from
    $KG_PASSWORD (looked at: --password, not given; $KG_PASSWORD, set); give the right user and password
    (--user and --password, $KG_USER and $KG_PASSWORD, or a ~/.netrc entry for 127.0.0.1)
"""
from __future__ import annotations

import netrc
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, InvalidArgument

USER_VARIABLE = "KG_USER"
PASSWORD_VARIABLE = "KG_PASSWORD"
#: The environment variable that names another netrc file (as curl and Python's netrc read it).
NETRC_VARIABLE = "NETRC"


@dataclass(frozen=True)
class Credentials:
    """A user and password for a server, where the password came from, and every place looked at."""

    user: str | None = None
    password: str | None = None
    #: where the password came from: "--password", "$KG_PASSWORD", "<netrc file> (machine <host>)", or ""
    origin: str = ""
    #: each place looked at, with what was found there ("$KG_PASSWORD, not set")
    looked: tuple[str, ...] = ()
    host: str = ""

    def refused(self, url: str) -> str:
        """The message for a server at ``url`` that refused these credentials (HTTP 401)."""
        who = (f"to user '{self.user}' with " + (f"the password from {self.origin}" if self.origin else
                                                 "no password") if self.user is not None else "without a user")
        return (f"{url} refused access (HTTP 401) {who} (looked at: {'; '.join(self.looked)}); give the right "
                f"user and password (--user and --password, ${USER_VARIABLE} and ${PASSWORD_VARIABLE}, or a "
                f"~/.netrc entry for {self.host or 'the host'})")


def netrc_path(environ: Mapping[str, str]) -> Path:
    """The netrc file: ``$NETRC``, else ``~/.netrc``."""
    return Path(environ.get(NETRC_VARIABLE) or Path.home() / ".netrc")


def _from_netrc(path: Path, host: str, user: str | None) -> tuple[tuple[str, str] | None, str]:
    """The (login, password) of the netrc entry for ``host`` (for login ``user`` if given), and what was found."""
    if not path.is_file():
        return None, f"{path}, no such file"
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except netrc.NetrcParseError as exc:
        raise InputError(f"{path}, line {exc.lineno}: {exc.msg}; fix the file or set ${NETRC_VARIABLE} to "
                         "another") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if entry is None:
        return None, f"{path}, no entry for {host}"
    login, _, password = entry
    if user is not None and login and login != user:
        return None, f"{path}, its entry for {host} is for another user ({login})"
    return (login or user or "", password or ""), f"{path}, entry for {host}"


def find(url: str, user: str | None, password: str | None,
         environ: Mapping[str, str] | None = None) -> Credentials:
    """The credentials for the server at ``url``: from ``password``, the environment, or the netrc file.

    ``user`` and ``password`` are the command line's (None where not given).  Raises
    :class:`kg.errors.InvalidArgument` for a password without a user, :class:`kg.errors.InputError`
    for a netrc file that cannot be read.

    >>> find("http://127.0.0.1/sparql", None, None, environ={"NETRC": "/nonexistent"}).looked[-1]
    '/nonexistent, no such file'
    """
    env = os.environ if environ is None else environ
    host = urllib.parse.urlsplit(url).hostname or ""
    user = user if user is not None else env.get(USER_VARIABLE) or None
    if password is not None:
        return _with_user(Credentials(user, password, "--password", ("--password, given",), host))
    looked = ["--password, not given"]
    if env.get(PASSWORD_VARIABLE):
        looked.append(f"${PASSWORD_VARIABLE}, set")
        return _with_user(Credentials(user, env[PASSWORD_VARIABLE], f"${PASSWORD_VARIABLE}", tuple(looked), host))
    looked.append(f"${PASSWORD_VARIABLE}, not set")
    path = netrc_path(env)
    entry, found = _from_netrc(path, host, user)
    looked.append(found)
    if entry is not None:
        return Credentials(entry[0], entry[1], f"{path} (machine {host})", tuple(looked), host)
    return Credentials(user, None, "", tuple(looked), host)


def _with_user(found: Credentials) -> Credentials:
    if found.user is None:
        raise InvalidArgument(f"a password ({found.origin}) needs a user name: give --user or set ${USER_VARIABLE}")
    return found
