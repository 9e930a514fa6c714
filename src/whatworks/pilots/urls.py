from django.urls import path

from whatworks.pilots import views, views_shadow

app_name = "pilots"

urlpatterns = [
    path("", views.index, name="index"),
    path("centre/", views.centre, name="centre"),
    path("new/", views.create, name="create"),
    path("ask/", views.ask, name="ask"),
    path("contract/", views.contract, name="contract"),
    path("<uuid:pilot_id>/", views.detail, name="detail"),
    path("<uuid:pilot_id>/config/", views.config, name="config"),
    path("<uuid:pilot_id>/data/", views.dataset_upload, name="dataset_upload"),
    path("<uuid:pilot_id>/data/<uuid:upload_id>/", views.dataset_check, name="dataset_check"),
    path(
        "<uuid:pilot_id>/data/<uuid:dataset_id>/delete/",
        views.dataset_delete,
        name="dataset_delete",
    ),
    path("<uuid:pilot_id>/bundle/", views.bundle_upload, name="bundle_upload"),
    path("<uuid:pilot_id>/runs/", views.run_start, name="run_start"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/", views.run_detail, name="run"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/report/", views.report, name="report"),
    path(
        "<uuid:pilot_id>/runs/<uuid:run_id>/report.html",
        views.report_download,
        name="report_download",
    ),
    path(
        "<uuid:pilot_id>/runs/<uuid:run_id>/bundle.json",
        views.bundle_download,
        name="bundle_download",
    ),
    path("<uuid:pilot_id>/runs/<uuid:run_id>/results/", views.results_fill, name="results_fill"),
    path("<uuid:pilot_id>/shadow/", views_shadow.shadow, name="shadow"),
    path("<uuid:pilot_id>/shadow/freeze/", views_shadow.shadow_freeze, name="shadow_freeze"),
    path("<uuid:pilot_id>/shadow/score/", views_shadow.shadow_score, name="shadow_score"),
    path(
        "<uuid:pilot_id>/shadow/<uuid:scores_id>/evaluate/",
        views_shadow.shadow_evaluate,
        name="shadow_evaluate",
    ),
    path(
        "<uuid:pilot_id>/shadow/<uuid:scores_id>/scores.csv",
        views_shadow.shadow_scores_download,
        name="shadow_scores_download",
    ),
]
