"""Plan pages (commissioning plans, milestones, status reports, business cases)."""

urlpatterns: list[object] = []
