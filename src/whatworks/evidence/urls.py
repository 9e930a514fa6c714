from django.urls import path

from whatworks.evidence.views import manage, public, ris

app_name = "evidence"

urlpatterns = [
    path("", public.index, name="index"),
    path("ratings-explained/", public.ratings_explained, name="ratings_explained"),
    path("interventions/<slug:slug>/", public.intervention, name="intervention"),
    path("studies/<slug:slug>/", public.study, name="study"),
    path("data/interventions/<slug:slug>.json", public.intervention_data, name="intervention_data"),
    path("staff/", manage.staff_home, name="staff_home"),
    path("staff/interventions/new/", manage.intervention_create, name="intervention_create"),
    path(
        "staff/interventions/<slug:slug>/edit/", manage.intervention_edit, name="intervention_edit"
    ),
    path(
        "staff/interventions/<slug:slug>/outcomes/<slug:domain>/rating/",
        manage.rating_edit,
        name="rating_edit",
    ),
    path("staff/interventions/<slug:slug>/studies/new/", manage.study_create, name="study_create"),
    path("staff/studies/<slug:slug>/edit/", manage.study_edit, name="study_edit"),
    path("staff/studies/<slug:slug>/findings/new/", manage.finding_create, name="finding_create"),
    path("staff/findings/<slug:slug>/edit/", manage.finding_edit, name="finding_edit"),
    path("staff/import/ris/", ris.ris_import, name="ris_import"),
    path("staff/import/", manage.import_file, name="import"),
    path("staff/export/<slug:kind>.<slug:fmt>", manage.export, name="export"),
]
