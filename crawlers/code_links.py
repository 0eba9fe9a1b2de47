"""Code links: find URLs in what authors wrote and normalise them into clone URLs.

Pure functions, no I/O. Authors type code links by hand, so the text is messy: trailing
non-breaking spaces, sentence punctuation glued to the URL, ``http`` and ``www.``, ``.git``
suffixes, several links in one field, links into a sub-folder or a single file of a monorepo, links to
an owner instead of a repository, archives on file hosts and project pages. A census counts
*repositories*, so every link is reduced to a :class:`CodeLink` whose ``repo_url`` is a clone URL
(``https://github.com/owner/repo``) or empty when the link names no repository, while ``host``
still says where the code lives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

#: Hosts whose ``owner/repo`` paths are git repositories (GitLab also on ``gitlab.<domain>`` hosts).
REPOSITORY_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org"})

#: Hosts that hold code but no clonable repository; free-text search reports them as code links.
CODE_HOSTS = REPOSITORY_HOSTS | {"anonymous.4open.science", "gist.github.com"}

#: First path segments on github.com that are site pages, not owners.
_GITHUB_NON_OWNERS = frozenset(
    {"orgs", "users", "sponsors", "topics", "features", "marketplace", "settings", "about", "login", "apps"}
)

#: Path segments after ``owner/repo`` that introduce ``<ref>/<path>``.
_REF_MARKERS = frozenset({"tree", "blob", "src", "raw"})

# A URL: a scheme or ``www.``, or a bare repository host, up to whitespace or a character that
# never appears in the links authors write but often delimits them (quotes, brackets, ``;``, ``,``).
# Control characters (C0, DEL, C1) end a URL too: they never belong in one, and one that reached a
# clone URL would reach git and the terminal.
_URL_BODY = r"[^\s<>\"'`{}\\|^;,\u200b\u200c\u200d\u2060\ufeff\x00-\x1f\x7f-\x9f]+"
_URL_RE = re.compile(
    r"(?:(?:https?://|www\.)" + _URL_BODY + r")"
    r"|(?:(?<![\w./@-])(?:github\.com|gitlab\.com|bitbucket\.org)/" + _URL_BODY + r")",
    re.IGNORECASE,
)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_TRAILING = ".,;:!?*'\"`" + _INVISIBLE
_LEADING = "(<[{'\"`*" + _INVISIBLE


@dataclass(frozen=True)
class CodeLink:
    """One link to code, as written and as understood.

    ``url`` is the link as the authors wrote it (only surrounding whitespace and punctuation
    removed); ``repo_url`` the normalised clone URL or ``""``; ``subpath`` and ``ref`` the folder or
    file and the branch/tag/commit of a ``/tree/<ref>/<path>``-style link; ``source`` the content
    field it came from.
    """

    url: str
    host: str
    repo_url: str = ""
    subpath: str = ""
    ref: str = ""
    source: str = ""

    @property
    def is_repository(self) -> bool:
        """True when the link names a clonable repository, not an owner, a file host or a page."""
        return bool(self.repo_url)


def clean_url(text: str) -> str:
    """Trim what surrounds a URL in prose: whitespace (also non-breaking), quotes, punctuation.

    A closing bracket is kept only when the URL opened one itself, so ``(see https://x/y)`` loses
    it and ``https://en.wikipedia.org/wiki/A_(b)`` keeps it.
    """
    url = text.strip().strip(_INVISIBLE).strip()
    while True:
        before = url
        url = url.strip().lstrip(_LEADING).rstrip(_TRAILING)
        for opening, closing in ("()", "[]", "<>"):
            if url.endswith(closing) and url.count(closing) > url.count(opening):
                url = url[:-1]
        if url == before:
            return url


def find_urls(text: str) -> list[str]:
    """Every URL-like token in ``text``, cleaned, in order of appearance, without repeats."""
    found: list[str] = []
    for _, _, url in find_url_spans(text):
        if url not in found:
            found.append(url)
    return found


def find_url_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, cleaned URL)`` of every URL-like token in ``text``, repeats included.

    The offsets are those of the raw match, so a caller can read the words around a link (the
    evidence that a link in a PDF is the paper's own code, see :mod:`crawlers.own_code`).
    """
    spans: list[tuple[int, int, str]] = []
    for match in _URL_RE.finditer(text or ""):
        url = clean_url(match.group(0))
        if url and _has_domain(url):
            spans.append((match.start(), match.end(), url))
    return spans


def _has_domain(url: str) -> bool:
    """``www.`` alone or ``https://localhost`` is no link an author meant: require a dotted host."""
    host = url.split("//", 1)[-1].split("/", 1)[0]
    return "." in host.strip(".")


def normalise_host(netloc: str) -> str:
    """Lower-case host without ``www.``, credentials or default ports."""
    host = netloc.rsplit("@", 1)[-1].lower()
    for port in (":80", ":443"):
        host = host.removesuffix(port)
    return host.removeprefix("www.")


def parse_link(url: str, source: str = "") -> CodeLink:
    """Understand one URL: its host and, on GitHub, GitLab or Bitbucket, the repository it names."""
    written = clean_url(url)
    absolute = written if re.match(r"^[a-z][a-z0-9+.-]*://", written, re.IGNORECASE) else "https://" + written
    parts = urlsplit(absolute)
    host = normalise_host(parts.netloc)
    segments = [segment for segment in parts.path.split("/") if segment]
    link = CodeLink(url=written, host=host, source=source)
    if host in ("github.com", "bitbucket.org"):
        return _two_level_repository(link, segments)
    if host == "gitlab.com" or host.startswith("gitlab."):
        return _gitlab_repository(link, segments)
    return link


def _two_level_repository(link: CodeLink, segments: list[str]) -> CodeLink:
    """``host/owner/repo[/tree|blob|src/<ref>/<path>]``: owner-only links name no repository."""
    if len(segments) < 2 or segments[0].lower() in _GITHUB_NON_OWNERS:
        return link
    owner, repo = segments[0], _strip_git(segments[1])
    if not repo:
        return link
    ref, subpath = _ref_and_path(segments[2:])
    return replace(link, repo_url=f"https://{link.host}/{owner}/{repo}", ref=ref, subpath=subpath)


def _gitlab_repository(link: CodeLink, segments: list[str]) -> CodeLink:
    """GitLab nests groups (``group/sub/repo``) and separates the repository with ``/-/``."""
    if "-" in segments:
        cut = segments.index("-")
        project, rest = segments[:cut], segments[cut + 1 :]
    else:
        marker = next((i for i, s in enumerate(segments) if i >= 2 and s in _REF_MARKERS), len(segments))
        project, rest = segments[:marker], segments[marker:]
    if len(project) < 2:
        return link
    project = [*project[:-1], _strip_git(project[-1])]
    ref, subpath = _ref_and_path(rest)
    return replace(link, repo_url=f"https://{link.host}/{'/'.join(project)}", ref=ref, subpath=subpath)


def _ref_and_path(rest: list[str]) -> tuple[str, str]:
    """Split ``tree/<ref>/<path...>`` (also ``blob``, ``src``, ``raw``; ``commit/<sha>``).

    A ref with a slash (``feature/x``) cannot be told from a folder without asking the server; the
    first segment is taken as the ref, which is right for the usual ``master``/``main``/sha.
    """
    if len(rest) >= 2 and rest[0] in _REF_MARKERS:
        return rest[1], "/".join(rest[2:])
    if len(rest) >= 2 and rest[0] == "commit":
        return rest[1], ""
    return "", ""


def _strip_git(name: str) -> str:
    return name[:-4] if name.lower().endswith(".git") else name


def is_code_host(host: str) -> bool:
    """Hosts where a link found in free text is taken as a code link (not project pages)."""
    return host in CODE_HOSTS or host.startswith("gitlab.")


def choose_code_link(text: str, source: str = "code") -> CodeLink | None:
    """The link a dedicated code field points to: its first repository link, else its first URL.

    Authors sometimes list several (``repo; mirror`` or ``repo; drive archive``); the repository
    is what a census clones, so it wins over an earlier archive link.
    """
    links = [parse_link(url, source) for url in find_urls(text)]
    if not links:
        return None
    return next((link for link in links if link.is_repository), links[0])


def find_code_links(text: str, source: str = "") -> list[CodeLink]:
    """Links to code in free text (abstract, TL;DR, ...): only code hosts, never project pages."""
    return [link for link in (parse_link(url, source) for url in find_urls(text)) if is_code_host(link.host)]


def first_code_link(fields: list[tuple[str, str]]) -> CodeLink | None:
    """The best code link across free-text fields ``[(name, text), ...]`` taken in order.

    The first link naming a repository wins; failing that, the first link on a code host.
    """
    links = [link for name, text in fields for link in find_code_links(text, name)]
    if not links:
        return None
    return next((link for link in links if link.is_repository), links[0])
