from django.urls import path

from whatworks.pilots.views import data, pilots, runs, shadow

app_name = "pilots"

urlpatterns = [
    path("", pilots.index, name="index"),
    path("centre/", pilots.centre, name="centre"),
    path("new/", pilots.create, name="create"),
    path("ask/", pilots.ask, name="ask"),
    path("contract/", pilots.contract, name="contract"),
    path("<uuid:pilot_id>/", pilots.detail, name="detail"),
    path("<uuid:pilot_id>/config/", pilots.config, name="config"),
    path("<uuid:pilot_id>/data/", data.dataset_upload, name="dataset_upload"),
    path("<uuid:pilot_id>/data/<uuid:upload_id>/", data.dataset_check, name="dataset_check"),
    path(
        "<uuid:pilot_id>/data/<uuid:dataset_id>/delete/",
        data.dataset_delete,
        name="dataset_delete",
    ),
    path("<uuid:pilot_id>/bundle/", data.bundle_upload, name="bundle_upload"),
    path("<uuid:pilot_id>/runs/", runs.run_start, name="run_start"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/", runs.run_detail, name="run"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/cancel/", runs.run_cancel, name="run_cancel"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/report/", runs.report, name="report"),
    path(
        "<uuid:pilot_id>/runs/<uuid:run_id>/report.html",
        runs.report_download,
        name="report_download",
    ),
    path(
        "<uuid:pilot_id>/runs/<uuid:run_id>/bundle.json",
        runs.bundle_download,
        name="bundle_download",
    ),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/results/", runs.results_fill, name="results_fill"),
    path("<uuid:pilot_id>/shadow/", shadow.shadow_page, name="shadow"),
    path("<uuid:pilot_id>/shadow/freeze/", shadow.shadow_freeze, name="shadow_freeze"),
    path("<uuid:pilot_id>/shadow/score/", shadow.shadow_score, name="shadow_score"),
    path(
        "<uuid:pilot_id>/shadow/<uuid:scores_id>/evaluate/",
        shadow.shadow_evaluate,
        name="shadow_evaluate",
    ),
    path(
        "<uuid:pilot_id>/shadow/<uuid:scores_id>/scores.csv",
        shadow.shadow_scores_download,
        name="shadow_scores_download",
    ),
]
