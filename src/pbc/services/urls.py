"""Service pages (enhanced services, provider returns, patient experience)."""

urlpatterns: list[object] = []
