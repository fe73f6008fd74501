"""Population health pages (disease registers, risk stratification, inequalities)."""

urlpatterns: list[object] = []
