"""Finance pages (budgets, statements, forecasts, freed-up resources, contracts)."""

urlpatterns: list[object] = []
