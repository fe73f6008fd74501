"""URL configuration. Every view declares its access rule (see `pbc.web.rules`)."""

from django.contrib import admin
from django.urls import include, path

from pbc.signin import security_key_views
from pbc.signin import views as signin_views
from pbc.web import stylesheet, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.sign_in, name="login"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("accounts/verify/", signin_views.verify, name="verify"),
    path("accounts/enrol/", signin_views.enrol, name="enrol"),
    path("accounts/", signin_views.account, name="account"),
    path("accounts/password/", signin_views.change_password, name="change_password"),
    path("accounts/confirm/", signin_views.confirm_password, name="confirm_password"),
    path("accounts/sessions/", signin_views.sessions, name="sessions"),
    path("accounts/recovery-codes/", signin_views.recovery_codes, name="recovery_codes"),
    path("accounts/security-keys/", security_key_views.security_keys_page, name="security_keys"),
    path(
        "accounts/security-keys/add/begin/",
        security_key_views.register_begin,
        name="security_key_register_begin",
    ),
    path(
        "accounts/security-keys/add/finish/",
        security_key_views.register_finish,
        name="security_key_register_finish",
    ),
    path(
        "accounts/verify/security-key/begin/",
        security_key_views.verify_begin,
        name="security_key_verify_begin",
    ),
    path(
        "accounts/verify/security-key/finish/",
        security_key_views.verify_finish,
        name="security_key_verify_finish",
    ),
    path("pct/<slug:pct>/", views.pct_page, name="pct"),
    path("pct/<slug:pct>/users/", views.pct_users, name="pct_users"),
    path("localities/<slug:locality>/", views.locality_page, name="locality"),
    path("localities/<slug:locality>/practices/new/", views.practice_new, name="practice_new"),
    path("practices/<str:practice>/", views.practice_page, name="practice"),
    path("providers/<str:provider>/", views.provider_page, name="provider"),
    path("audit/", views.audit_log, name="audit_log"),
    path("public/", views.public_home, name="public_home"),
    path("about/", views.about, name="about"),
    path("imports/", include("pbc.imports.urls")),
    path("plans/", include("pbc.plans.urls")),
    path("indicators/", include("pbc.indicators.urls")),
    path("validation/", include("pbc.validation.urls")),
    path("finance/", include("pbc.finance.urls")),
    path("population/", include("pbc.population.urls")),
    path("services/", include("pbc.services.urls")),
    path("reports/", include("pbc.reports.urls")),
    path("admin/", admin.site.urls),
    path("frontend/nhsuk-frontend.css", stylesheet.frontend_stylesheet, name="frontend_stylesheet"),
]

handler403 = "pbc.web.views.error_403"
handler404 = "pbc.web.views.error_404"
handler500 = "pbc.web.views.error_500"
