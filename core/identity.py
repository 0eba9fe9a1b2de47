"""Repository identity: which clone URLs name the same repository.

GitHub, GitLab and Bitbucket treat owner and repository names case-insensitively
(``github.com/Owner/Repo`` and ``github.com/owner/repo`` are one repository), so a census must clone
and count it once. The key is the lower-cased URL without ``.git`` or a trailing slash on those hosts
(and on ``gitlab.<domain>`` hosts); elsewhere the URL is kept as written. The written form stays what
every table shows: the key only decides identity.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Forges whose paths are case-insensitive.
CASE_INSENSITIVE_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org"})


def repo_key(repo_url: str) -> str:
    """The identity key of a clone URL (empty for an empty URL)."""
    url = repo_url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    path = path[:-4] if path.lower().endswith(".git") else path
    if host in CASE_INSENSITIVE_HOSTS or host.startswith("gitlab."):
        return f"https://{host}{path.lower()}"
    return f"{parts.scheme.lower()}://{host}{path}" if host else url
