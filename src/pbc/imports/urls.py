from django.urls import path

from pbc.imports import views

urlpatterns = [
    path("", views.imports, name="imports"),
    path(
        "templates/<slug:dataset>.csv",
        views.return_template,
        {"fmt": "csv"},
        name="import_template_csv",
    ),
    path(
        "templates/<slug:dataset>.xlsx",
        views.return_template,
        {"fmt": "xlsx"},
        name="import_template_xlsx",
    ),
    path("<int:run>/", views.import_run, name="import_run"),
    path("<int:run>/quarantine.csv", views.quarantine, name="import_quarantine"),
]
