"""Validation pages (findings, challenges, schedules, provider responses, ledger).

Each URL names at most one organisation (practice, locality, PCT or provider), which its view's
access rule checks; a finding is chosen by a form field and must belong to that organisation.
"""

from django.urls import path

from pbc.validation import views

urlpatterns = [
    path("", views.index, name="validation_index"),
    path("ledger/", views.ledger, name="validation_ledger"),
    path("practices/<str:practice>/", views.practice_findings, name="validation_practice"),
    path("practices/<str:practice>/patients/", views.patient_rows, name="validation_patients"),
    path(
        "pcts/<slug:pct>/without-practice/",
        views.pct_without_practice,
        name="validation_pct_without_practice",
    ),
    path("localities/<slug:locality>/", views.locality_signoff, name="validation_locality"),
    path(
        "localities/<slug:locality>/participation/",
        views.locality_participation,
        name="validation_participation",
    ),
    path(
        "localities/<slug:locality>/schedule.csv",
        views.locality_schedule_csv,
        name="validation_locality_schedule_csv",
    ),
    path(
        "localities/<slug:locality>/schedule.xlsx",
        views.locality_schedule_xlsx,
        name="validation_locality_schedule_xlsx",
    ),
    path("providers/<str:provider>/", views.provider_page, name="validation_provider"),
    path(
        "providers/<str:provider>/schedule.csv",
        views.provider_schedule_csv,
        name="validation_provider_schedule_csv",
    ),
    path(
        "providers/<str:provider>/schedule.xlsx",
        views.provider_schedule_xlsx,
        name="validation_provider_schedule_xlsx",
    ),
]
