from django.urls import path

from pbc.imports import views

urlpatterns = [
    path("", views.imports, name="imports"),
    path("templates/<slug:dataset>.<str:fmt>", views.return_template, name="import_template"),
    path("<int:run>/", views.import_run, name="import_run"),
    path("<int:run>/quarantine.csv", views.quarantine, name="import_quarantine"),
]
