"""Service pages (enhanced services, provider returns, patient experience).

Each URL names at most one organisation (locality, practice or provider); filters such as the
quarter, the provider within a locality's report or the return shown go in the query string.
"""

from django.urls import path

from pbc.services import views

urlpatterns = [
    path("", views.index, name="services_index"),
    path("enhanced/", views.catalogue, name="enhanced_catalogue"),
    path("enhanced/localities/<slug:locality>/", views.enhanced_locality, name="enhanced_locality"),
    path("enhanced/localities/<slug:locality>/claims/", views.claims_upload, name="claims_upload"),
    path("enhanced/specification/", views.specification_edit, name="specification_edit"),
    path("enhanced/practices/<str:practice>/", views.enhanced_practice, name="enhanced_practice"),
    path(
        "enhanced/practices/<str:practice>/sign-up/",
        views.practice_sign_up,
        name="practice_sign_up",
    ),
    path("returns/providers/<str:provider>/", views.provider_returns, name="provider_returns"),
    path("returns/providers/<str:provider>/upload/", views.return_upload, name="return_upload"),
    path("returns/localities/<slug:locality>/", views.returns_report, name="returns_report"),
    path("awp/localities/<slug:locality>/", views.awp_report, name="awp_report"),
    path("awp/practices/<str:practice>/", views.awp_practice, name="awp_practice"),
    path(
        "experience/localities/<slug:locality>/",
        views.experience_report,
        name="experience_report",
    ),
    path(
        "experience/localities/<slug:locality>/import/",
        views.survey_upload,
        name="survey_upload",
    ),
    path(
        "experience/practices/<str:practice>/",
        views.experience_practice,
        name="experience_practice",
    ),
    # published (no sign-in): patient experience by practice, small numbers suppressed
    path(
        "experience/public/localities/<slug:locality>/",
        views.experience_public,
        name="experience_public",
    ),
]
