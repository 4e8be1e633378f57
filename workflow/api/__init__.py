"""The workflow's REST API: the case page's actions, timeline and clock (issue 15)."""
