"""Population health pages (disease registers, risk stratification, inequalities)."""

from django.urls import path

from pbc.population import views

urlpatterns = [
    path("", views.index, name="population_index"),
    path("risk/model/", views.model_card, name="population_model_card"),
    path(
        "localities/<slug:locality>/registers/",
        views.registers,
        name="population_registers",
    ),
    path(
        "localities/<slug:locality>/inequalities/",
        views.inequalities,
        name="population_inequalities",
    ),
    path(
        "practices/<str:practice>/case-finding/",
        views.case_finding,
        name="population_case_finding",
    ),
    path(
        "practices/<str:practice>/caseload/",
        views.caseload_page,
        name="population_caseload",
    ),
]
