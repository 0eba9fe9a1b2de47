"""Trends across census folders: one row per venue and year, framework shares with intervals,
code-link coverage by source, research domains, and Horace He's counts set beside them.

:mod:`.load` reads census folders (a crawl-only folder is enough for coverage), :mod:`.reference`
reads Horace He's data.csv, :mod:`.table` builds trends.csv and trends_by_domain.csv, :mod:`.charts`
draws trends.png and coverage.png, :mod:`.render` writes report.md and report.html.
"""

from reports.trends.render import render_trends

__all__ = ["render_trends"]
