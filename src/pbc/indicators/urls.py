"""Indicator pages (catalogue, SPC charts, funnel plots, dashboards, RTT breach lists)."""

urlpatterns: list[object] = []
