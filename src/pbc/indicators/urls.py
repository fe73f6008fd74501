"""Indicator pages (catalogue, SPC charts, funnel plots, dashboards, RTT watch lists).

Each URL names at most one organisation or indicator; organisations inside an indicator page
come in the query string (`?org=locality:dacorum`) and are checked by the view.
"""

from django.urls import path

from pbc.indicators import referrals, scheme_views, views

urlpatterns = [
    path("", views.index, name="indicators_index"),
    path("plotly.min.js", views.plotly_js, name="plotly_js"),
    path("pct/<slug:pct>/", views.pct_dashboard, name="indicators_pct"),
    path("localities/<slug:locality>/", views.locality_dashboard, name="indicators_locality"),
    path(
        "localities/<slug:locality>/referrals/",
        referrals.referrals_page,
        name="indicators_referrals",
    ),
    path("practices/<str:practice>/", views.practice_dashboard, name="indicators_practice"),
    path("rtt/practices/<str:practice>/watch/", views.watch_practice, name="rtt_watch_practice"),
    path("rtt/pct/<slug:pct>/watch/", views.watch_pct, name="rtt_watch_pct"),
    path("manual/pct/<slug:pct>/", views.manual_entry, name="indicators_manual"),
    path("targets/pct/<slug:pct>/", views.targets, name="indicators_targets"),
    path("prescribing-scheme/pct/<slug:pct>/", scheme_views.scheme_pct, name="scheme_pct"),
    path(
        "prescribing-scheme/localities/<slug:locality>/",
        scheme_views.scheme_locality,
        name="scheme_locality",
    ),
    path(
        "prescribing-scheme/practices/<str:practice>/",
        scheme_views.scheme_practice,
        name="scheme_practice",
    ),
    path("rtt/week-bands/", views.rtt_week_bands, name="rtt_week_bands"),
    path("public/", views.public_index, name="indicators_public"),
    path(
        "public/localities/<slug:locality>/",
        views.public_locality,
        name="indicators_public_locality",
    ),
    path("public/i/<slug:indicator>/", views.public_indicator, name="indicators_public_indicator"),
    path("i/<slug:indicator>/", views.indicator_page, name="indicator"),
    path("i/<slug:indicator>/download.csv", views.indicator_csv, name="indicator_csv"),
    path("i/<slug:indicator>/download.xlsx", views.indicator_xlsx, name="indicator_xlsx"),
]
