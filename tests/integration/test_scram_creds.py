"""SCRAM-SHA-256 credentials kept with the accounts (docs/OPERATIONS.md, "Accounts"): derived when
the server knows a password (registration, password change, `--create-sysop`), with the configured
`[accounts] scram_iterations`, and checked here against an independent derivation (RFC 5802 with
Python's hashlib/hmac) from the salt found in the database."""

import hashlib
import hmac
import sqlite3
import time

from accounts_kit import api, create_sysop, login, register

CONFIG = "[accounts]\nhash_limits = min\nscram_iterations = 5000\n"


def scram_row(server, fold):
    """(iterations, salt, stored_key, server_key) of an account, read from parley.db."""
    db = sqlite3.connect(f"file:{server.data_dir / 'parley.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT scram_iterations, scram_salt, scram_stored_key, scram_server_key "
                          "FROM accounts WHERE fold = ?", (fold,)).fetchone()
    finally:
        db.close()


def wait_scram(server, fold, not_salt=None):
    """Polls (bounded) until the account has credentials (other than those with salt not_salt):
    they are derived on the accounts service's worker after the answer."""
    for _ in range(200):
        row = scram_row(server, fold)
        if row and row[0] and row[1] != not_salt:
            return row
        time.sleep(0.05)
    raise AssertionError(f"no SCRAM credentials for {fold}: {row}")


def expected(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest(), server_key


def check(row, password):
    iterations, salt, stored_key, server_key = row
    assert iterations == 5000 and len(salt) == 16
    assert (stored_key, server_key) == expected(password, salt, iterations)


def test_registration_and_password_change(parley):
    server = parley(CONFIG)
    register(server.port, "Sam", "sam@example.org", "pencil pencil")
    row = wait_scram(server, "sam")
    check(row, "pencil pencil")
    token = login(server.port, "sam", "pencil pencil")["token"]
    r, j = api(server.port, "POST", "password", {"old": "pencil pencil", "new": "crayon crayon"},
               token)
    assert r.status == 200, (r.status, j)
    row2 = wait_scram(server, "sam", not_salt=row[1])
    check(row2, "crayon crayon")
    # A wrong login changes nothing; the credentials survive a restart.
    login(server.port, "sam", "pencil pencil", status=401)
    server.stop()
    server.start()
    assert scram_row(server, "sam") == row2


def test_sysop_from_command_line(parley):
    server = parley(CONFIG, start=False)
    create_sysop(server, "Boss", "boss password")
    server.start()
    check(scram_row(server, "boss"), "boss password")
