"""Finance pages (budgets, statements, forecasts, freed-up resources, contracts)."""

from django.urls import path

from pbc.finance import views

urlpatterns = [
    path("", views.index, name="finance_index"),
    path("practices/<str:practice>/", views.practice_statement, name="finance_practice"),
    path(
        "practices/<str:practice>/statement.xlsx", views.practice_xlsx, name="finance_practice_xlsx"
    ),
    path("practices/<str:practice>/rows/", views.practice_rows, name="finance_practice_rows"),
    path("practices/<str:practice>/budgets/", views.practice_budgets, name="finance_budgets"),
    path(
        "practices/<str:practice>/budgets/adjust/",
        views.budget_adjust,
        name="finance_budget_adjust",
    ),
    path(
        "practices/<str:practice>/budgets/approve/",
        views.budget_approve,
        name="finance_budget_approve",
    ),
    path("localities/<slug:locality>/", views.locality_statement, name="finance_locality"),
    path(
        "localities/<slug:locality>/statement.xlsx",
        views.locality_xlsx,
        name="finance_locality_xlsx",
    ),
    path("localities/<slug:locality>/month-end/", views.month_end_report, name="finance_month_end"),
    path("localities/<slug:locality>/freed-up/", views.freed_up, name="finance_freed_up"),
    path("pct/<slug:pct>/", views.pct_statement, name="finance_pct"),
    path("pct/<slug:pct>/statement.xlsx", views.pct_xlsx, name="finance_pct_xlsx"),
    path("pct/<slug:pct>/budgets/", views.set_budgets, name="finance_set_budgets"),
    path("pct/<slug:pct>/contracts/edit/", views.contract_edit, name="finance_contract_edit"),
    path("providers/<str:provider>/contracts/", views.provider_contracts, name="finance_contracts"),
    path(
        "providers/<str:provider>/contracts.xlsx",
        views.provider_contracts_xlsx,
        name="finance_contracts_xlsx",
    ),
]
