from django.urls import path, register_converter

from whatworks.registry.views import (
    attachments,
    data,
    datacite,
    flow,
    identifiers,
    manage,
    public,
    requests,
    results,
    team,
    trial_data,
    trials,
)


class ReferenceConverter:
    # A registered project's identifier, or a never-registered draft's handle.
    regex = r"WWC-[0-9]{4}-[0-9]{4,6}|DRAFT-[0-9a-f]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "wwc")

app_name = "registry"

urlpatterns = [
    path("", public.register, name="index"),
    path("register.json", data.register_json, name="register_json"),
    path("register.csv", data.register_csv, name="register_csv"),
    path("overdue/", public.overdue, name="overdue"),
    path("requests/", manage.requests_queue, name="requests"),
    path("requests/<int:request_id>/", manage.request_decide, name="request_decide"),
    path("workspace/", manage.workspace, name="workspace"),
    path("new/", manage.project_create, name="project_create"),
    path("orcid/", identifiers.orcid, name="orcid"),
    path("<wwc:reference>/", public.project, name="project"),
    path("<wwc:reference>/edit/", manage.project_edit, name="project_edit"),
    path("<wwc:reference>/protocol/draft/", manage.protocol_edit, name="protocol_edit"),
    path("<wwc:reference>/protocol/register/", manage.protocol_register, name="protocol_register"),
    path(
        "<wwc:reference>/protocol/analysis-plan/", trials.analysis_plan_edit, name="analysis_plan"
    ),
    path("<wwc:reference>/protocol/power/", trials.power, name="power"),
    path("<wwc:reference>/trial-data/", trial_data.trial_data, name="trial_data"),
    path(
        "<wwc:reference>/trial-data/<uuid:dataset_id>/",
        trial_data.trial_dataset,
        name="trial_dataset",
    ),
    path(
        "<wwc:reference>/trial-data/<uuid:dataset_id>/analyse/",
        trial_data.trial_analyse,
        name="trial_analyse",
    ),
    path(
        "<wwc:reference>/trial-data/<uuid:dataset_id>/delete/",
        trial_data.trial_dataset_delete_view,
        name="trial_dataset_delete",
    ),
    path(
        "<wwc:reference>/evidence-link/",
        trial_data.trial_evidence_link,
        name="trial_evidence_link",
    ),
    path("<wwc:reference>/protocol/attachments/", attachments.attachments, name="attachments"),
    path(
        "<wwc:reference>/protocol/attachments/remove/",
        attachments.attachment_remove_view,
        name="attachment_remove",
    ),
    path(
        "<wwc:reference>/protocol/attachments/<slug:kind>/",
        attachments.draft_attachment,
        name="draft_attachment",
    ),
    path("<wwc:reference>/publish/", manage.project_publish, name="project_publish"),
    path("<wwc:reference>/withdraw/", manage.project_withdraw, name="project_withdraw"),
    path("<wwc:reference>/delete/", manage.project_delete, name="project_delete"),
    path("<wwc:reference>/ask/<str:kind>/", requests.ask, name="request_create"),
    path("<wwc:reference>/team/", team.team, name="team"),
    path("<wwc:reference>/identifiers/", identifiers.identifiers, name="identifiers"),
    path("<wwc:reference>/team/remove/", team.team_remove, name="team_remove"),
    path("<wwc:reference>/v<int:number>/", public.version, name="version"),
    path("<wwc:reference>/v<int:number>.json", data.version_json, name="version_json"),
    path(
        "<wwc:reference>/v<int:number>/datacite.json",
        datacite.datacite_json,
        name="version_datacite_json",
    ),
    path(
        "<wwc:reference>/v<int:number>/datacite.xml",
        datacite.datacite_xml,
        name="version_datacite_xml",
    ),
    path(
        "<wwc:reference>/v<int:number>/files/<slug:kind>/",
        attachments.version_attachment,
        name="version_attachment",
    ),
    path("<wwc:reference>/diff/", public.diff, name="diff"),
    path("<wwc:reference>/results/", public.results, name="results"),
    path("<wwc:reference>/results.json", data.results_json, name="results_json"),
    path("<wwc:reference>/results/<int:number>/", public.results, name="results_report"),
    path(
        "<wwc:reference>/results/<int:number>.json",
        data.results_json,
        name="results_report_json",
    ),
    path("<wwc:reference>/results/import/", manage.results_import, name="results_import"),
    path("<wwc:reference>/results/enter/", results.results_enter, name="results_enter"),
    path("<wwc:reference>/results/correct/", results.results_correct, name="results_correct"),
    path("<wwc:reference>/results/flow/", flow.results_flow, name="results_flow"),
    path("<wwc:reference>/results/publish/", manage.results_publish, name="results_publish"),
]
