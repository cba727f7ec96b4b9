"""A Flask test client signed in as a user, as a browser would be."""

from __future__ import annotations


def signed_in_client(app, engine, username: str, role: str, station: str | None = None):
    """A test client of ``app`` with a session of ``username`` (added with ``role`` and
    ``station`` if missing); its requests carry the session cookie, a same-origin ``Origin``
    and the CSRF header, as the browser's do."""
    from dashboard.web.auth import SESSION_COOKIE
    from data.sessions import open_session
    from data.users import add_user, get_user

    user = get_user(engine, username) or add_user(
        engine, username, "test-password-123", role, station, actor="tests"
    )
    ticket = open_session(engine, user.id)
    client = app.server.test_client()
    client.set_cookie(SESSION_COOKIE, ticket.token)
    client.environ_base.update(HTTP_ORIGIN="http://localhost", HTTP_X_CSRFTOKEN=ticket.csrf_token)
    return client
