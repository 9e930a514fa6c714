"""The URL map: one include per part, the core's pages, the admin and the health check."""

from django.contrib import admin
from django.urls import include, path

from whatworks.core.views import errors

urlpatterns = [
    path("", include("whatworks.core.urls")),
    path("evidence/", include("whatworks.evidence.urls")),
    path("research/", include("whatworks.registry.urls")),
    path("pilots/", include("whatworks.pilots.urls")),
    path("panel/", include("whatworks.panel.urls")),
    path("forum/", include("whatworks.forum.urls")),
    path("events/", include("whatworks.events.urls")),
    path("calls/", include("whatworks.calls.urls")),
    path("news/", include("whatworks.news.urls")),
    path("admin/", admin.site.urls),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
