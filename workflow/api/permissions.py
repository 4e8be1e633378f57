"""Which API client may ask for which workflow action: the plug-in point for integration clients.

What a *user* may do is the workflow's one permission table (``workflow.permissions``), checked
by the services for every caller alike. An integration client (a system signing in with an API
key, ``integrations.auth``) is further limited to the actions its key allows: its
``request.auth`` answers ``allows(action)``. Any other caller (a session, a user's token) is not
limited here.
"""

from __future__ import annotations


def client_may(request, action: str) -> bool:
    """True unless ``request`` comes from an integration client that does not allow ``action``."""
    allows = getattr(request.auth, "allows", None)
    return allows is None or bool(allows(action))
