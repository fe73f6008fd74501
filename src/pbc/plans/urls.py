"""Plan pages (commissioning plans, milestones, status reports, business cases).

Each URL names at most one organisation-scoped object (locality, milestone, business case or
plan), which its view's access rule checks.
"""

from django.urls import path

from pbc.plans import views

urlpatterns = [
    path("", views.index, name="plans_index"),
    path("localities/<slug:locality>/", views.dashboard, name="plans_dashboard"),
    path("localities/<slug:locality>/import/", views.upload, name="plans_upload"),
    path("localities/<slug:locality>/report/", views.report_page, name="plans_report"),
    path("localities/<slug:locality>/business-cases/", views.business_cases, name="business_cases"),
    path(
        "localities/<slug:locality>/business-cases/new/",
        views.business_case_new,
        name="business_case_new",
    ),
    path("localities/<slug:locality>/meetings/", views.meetings_page, name="plans_meetings"),
    path("localities/<slug:locality>/measures/", views.measures_page, name="plans_measures"),
    path("milestones/<str:milestone>/", views.milestone_page, name="milestone"),
    path("milestones/<str:milestone>/update/", views.milestone_update, name="milestone_update"),
    path("business-cases/<slug:case>/", views.business_case, name="business_case"),
    path(
        "business-cases/<slug:case>/change/",
        views.business_case_change,
        name="business_case_change",
    ),
    path("public/", views.public_index, name="plans_public_index"),
    path("public/<slug:plan>/", views.public_plan, name="plan_public"),
]
