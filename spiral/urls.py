from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from spiral.api import api
from spiral.core.views import healthz
from spiral.organisations import views as org
from spiral.organisations.forms import SignInForm
from spiral.reporting import views as reporting


class SignInView(auth_views.LoginView):
    template_name = "registration/sign_in.jinja"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        context["page_title"] = "Sign in"
        if settings.DEMO_MODE:
            from spiral.demo.accounts import DEMO_ACCOUNTS

            context["demo_accounts"] = [(a.email, a.description) for a in DEMO_ACCOUNTS]
        return context


units = [
    path("", org.unit_index, name="index"),
    path("import/", org.unit_import, name="import"),
    path("<code:code>/", org.unit_detail, name="detail"),
    path("<code:code>/edit/", org.unit_edit, name="edit"),
    path("<code:code>/add/", org.unit_add_child, name="add"),
    path("<code:code>/move/", org.unit_move, name="move"),
    path("<code:code>/members/add/", org.member_add, name="member-add"),
    path("<code:code>/members/<int:membership_id>/remove/", org.member_remove, name="member-remove"),
]
people = [
    path("", org.people_search, name="search"),
    path("<int:person_id>/", org.person_detail, name="detail"),
]

urlpatterns = [
    path("", reporting.home, name="home"),
    path("sign-in/", SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
    path("password/", org.password_change, name="password-change"),
    path("profile/", org.profile, name="profile"),
    path("profile/tokens/", org.token_create, name="token-create"),
    path("profile/tokens/<int:token_id>/revoke/", org.token_revoke, name="token-revoke"),
    path("units/", include((units, "units"))),
    path("people/", include((people, "people"))),
    path("audit/", org.audit_log, name="audit"),
    path("jobs/<int:job_id>/", org.job_detail, name="job"),
    path("notifications/", org.notifications, name="notifications"),
    path("", include("spiral.knowledge.urls")),
    path("projects/", include("spiral.projects.urls")),
    path("measures/", include("spiral.measurement.urls")),
    path("feedback/", include("spiral.voice.urls")),
    path("f/", include("spiral.voice.public_urls")),
    path("benchmarking/", include("spiral.benchmarking.urls")),
    path("priorities/", include("spiral.priorities.urls")),
    path("assessments/", include("spiral.assessments.urls")),
    path("capability/", include("spiral.capability.urls")),
    path("sustainability/", include("spiral.sustainability.urls")),
    path("reporting/", include("spiral.reporting.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler403 = "spiral.core.views.permission_denied"
handler404 = "spiral.core.views.page_not_found"
handler500 = "spiral.core.views.server_error"
