"""Tables into findings: census aggregation, reproduction summaries, charts and rendering."""
