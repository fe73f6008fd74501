"""Locality performance reports (the monthly board pack)."""

from django.urls import path

from pbc.reports import views

urlpatterns = [
    path("", views.index, name="reports_index"),
    path("localities/<slug:locality>/", views.locality_reports, name="reports_locality"),
    path("localities/<slug:locality>/<str:month>/", views.board_pack, name="reports_board"),
]
