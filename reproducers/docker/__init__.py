"""Docker plumbing for reproductions: engine, image builds, the container sandbox, the wheelhouse.

Runners (``reproducers.runners.docker``) and upstream entries (``reproducers.upstream``) share these
pieces so that a paper's own code and the project's worker run in the same sandbox. The shell
script ``build_base.sh`` in this folder builds an offline base image from Debian packages.
"""
