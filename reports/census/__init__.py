"""The tooling census report: CSVs of a census folder → census.json, report.md, report.html, figures.

One module per job: :mod:`.load` reads the step outputs defensively, :mod:`.intervals` gives Wilson
intervals, :mod:`.aggregate` turns tables into a :class:`~.aggregate.CensusSummary`, :mod:`.baseline`
holds the published ICLR 2020 numbers, :mod:`.charts` and :mod:`.wordcloud` draw the figures and
:mod:`.render` writes every output file.
"""

from reports.census.aggregate import CensusSummary, summarize
from reports.census.load import CensusTables, MissingInput, load_tables
from reports.census.render import render_census

__all__ = ["CensusSummary", "CensusTables", "MissingInput", "load_tables", "render_census", "summarize"]
