"""Where kg push and kg query --endpoint find a server's password (kg/credentials.py): --password, then
$KG_USER/$KG_PASSWORD, then the ~/.netrc ($NETRC) entry for the endpoint's host.  Against a real server:
tests/test_remote.py."""
from __future__ import annotations

import pytest

from kg.credentials import find
from kg.errors import InputError, InvalidArgument

URL = "http://127.0.0.1:8890/sparql-auth"


@pytest.fixture
def netrc_file(tmp_path):
    path = tmp_path / "netrc"
    path.write_text("machine 127.0.0.1 login dba password from-netrc\nmachine example.org login x password y\n")
    return path


def test_the_password_option_comes_first(netrc_file):
    env = {"KG_USER": "env-user", "KG_PASSWORD": "from-env", "NETRC": str(netrc_file)}
    found = find(URL, "dba", "from-option", environ=env)
    assert (found.user, found.password, found.origin) == ("dba", "from-option", "--password")
    assert find(URL, None, "from-option", environ=env).user == "env-user"


def test_then_the_environment(netrc_file):
    env = {"KG_USER": "dba", "KG_PASSWORD": "from-env", "NETRC": str(netrc_file)}
    found = find(URL, None, None, environ=env)
    assert (found.user, found.password, found.origin) == ("dba", "from-env", "$KG_PASSWORD")
    assert find(URL, "other", None, environ=env).user == "other"  # --user over $KG_USER


def test_then_the_netrc_entry_for_the_endpoints_host(netrc_file):
    found = find(URL, None, None, environ={"NETRC": str(netrc_file)})
    assert (found.user, found.password) == ("dba", "from-netrc")
    assert found.origin == f"{netrc_file} (machine 127.0.0.1)"
    assert found.looked == ("--password, not given", "$KG_PASSWORD, not set", f"{netrc_file}, entry for 127.0.0.1")
    # an entry for another login is not taken for --user
    other = find(URL, "someone", None, environ={"NETRC": str(netrc_file)})
    assert (other.user, other.password) == ("someone", None)
    assert other.looked[-1] == f"{netrc_file}, its entry for 127.0.0.1 is for another user (dba)"
    nothing = find("http://127.0.0.2/sparql", None, None, environ={"NETRC": str(netrc_file)})
    assert (nothing.user, nothing.password) == (None, None)
    assert nothing.looked[-1] == f"{netrc_file}, no entry for 127.0.0.2"


def test_the_refusal_says_where_it_looked_and_never_the_password(netrc_file):
    found = find(URL, None, None, environ={"NETRC": str(netrc_file)})
    message = found.refused(URL)
    assert message.startswith(f"{URL} refused access (HTTP 401) to user 'dba' with the password from {netrc_file}")
    assert "--password, not given" in message and "$KG_PASSWORD, not set" in message
    assert "from-netrc" not in message


def test_a_password_without_a_user_and_a_broken_netrc_are_named(tmp_path):
    with pytest.raises(InvalidArgument, match=r"a password \(\$KG_PASSWORD\) needs a user name: give --user"):
        find(URL, None, None, environ={"KG_PASSWORD": "x", "NETRC": str(tmp_path / "none")})
    broken = tmp_path / "netrc"
    broken.write_text("machine 127.0.0.1 login dba password x\nmacine example.org login x\n")
    with pytest.raises(InputError, match=rf"{broken}, line 2: bad follower token 'macine'"):
        find(URL, None, None, environ={"NETRC": str(broken)})
