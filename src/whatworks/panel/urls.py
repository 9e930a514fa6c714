from django.urls import path

from whatworks.panel.views import answering, authoring, manage, members, public

app_name = "panel"

urlpatterns = [
    path("", public.index, name="index"),
    path("join/", members.join, name="join"),
    path("join/sent/", members.join_sent, name="join_sent"),
    path("confirm/<str:token>/", members.confirm, name="confirm"),
    path("me/", members.me, name="me"),
    path("me/profile/", members.profile, name="profile"),
    path("me/recontact/", members.recontact, name="recontact"),
    path("me/data.json", members.export, name="export"),
    path("me/studies/<slug:slug>/", members.study_consent, name="study_consent"),
    path("me/leave/", members.leave, name="leave"),
    path("leave/<str:token>/", members.leave_link, name="leave_link"),
    path("answer/<str:token>/", answering.answer, name="answer"),
    path("polls/<slug:slug>/answer/", answering.answer_mine, name="answer_mine"),
    path("polls/<slug:slug>/results/", public.poll_results, name="results"),
    path("polls/<slug:slug>/results.csv", public.poll_results_csv, name="results_csv"),
    path("pulse/", public.pulse_list, name="pulse"),
    path("pulse/<slug:key>/", public.pulse_detail, name="pulse_detail"),
    path("manage/", manage.manage, name="manage"),
    path("manage/polls/new/", manage.poll_create, name="poll_create"),
    path("manage/polls/<slug:slug>/", manage.poll_detail, name="poll_detail"),
    path("manage/polls/<slug:slug>/questions/", manage.question_add, name="question_add"),
    path(
        "manage/polls/<slug:slug>/questions/<int:pk>/",
        authoring.question_edit,
        name="question_edit",
    ),
    path(
        "manage/polls/<slug:slug>/questions/<int:pk>/delete/",
        authoring.question_delete,
        name="question_delete",
    ),
    path(
        "manage/polls/<slug:slug>/questions/<int:pk>/move/",
        authoring.question_move,
        name="question_move",
    ),
    path("manage/polls/<slug:slug>/preview/", answering.preview, name="preview"),
    path("manage/polls/<slug:slug>/status/", manage.poll_status, name="poll_status"),
    path("manage/polls/<slug:slug>/invite/", manage.invite, name="invite"),
    path("manage/polls/<slug:slug>/remind/", manage.remind, name="remind"),
    path("manage/polls/<slug:slug>/schedule/", manage.poll_schedule, name="poll_schedule"),
    path("manage/polls/<slug:slug>/publish/", manage.results_publish, name="results_publish"),
    path("manage/polls/<slug:slug>/bounces/", manage.bounces, name="bounces"),
    path("manage/scales/new/", manage.scale_create, name="scale_create"),
    path("manage/studies/<slug:slug>/", manage.study_detail, name="study_detail"),
    path("manage/studies/<slug:slug>/project/", manage.study_link, name="study_link"),
    path("manage/studies/<slug:slug>/bundle.json", manage.study_bundle, name="study_bundle"),
    path("manage/studies/<slug:slug>/export/", manage.study_export, name="study_export"),
]
