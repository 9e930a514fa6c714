from django.urls import path

from whatworks.calls import views, views_accounts, views_staff

app_name = "calls"

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.my_applications, name="my_applications"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path(
        "applications/<int:application_id>/files/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("applications/<int:application_id>/review/", views.review, name="review"),
    path("applications/<int:application_id>/decide/", views.decide, name="decide"),
    path("applications/<int:application_id>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:application_id>/assign/", views.assign, name="assign"),
    path(
        "applications/<int:application_id>/assign/<int:assignment_id>/remove/",
        views.unassign,
        name="unassign",
    ),
    path("applications/<int:application_id>/conflict/", views.conflict, name="conflict"),
    path("account/new/", views_accounts.account_new, name="account_new"),
    path("account/new/sent/", views_accounts.account_sent, name="account_sent"),
    path("account/new/<str:token>/", views_accounts.account_confirm, name="account_confirm"),
    path("account/organisation/", views_accounts.join, name="join"),
    path("organisation-requests/", views_accounts.join_requests, name="join_requests"),
    path(
        "organisation-requests/<int:request_id>/",
        views_accounts.join_decide,
        name="join_decide",
    ),
    # staff (the admin stays for administrators)
    path("staff/", views_staff.manage, name="manage"),
    path("staff/new/", views_staff.create, name="create"),
    path("staff/<slug:slug>/", views_staff.edit, name="edit"),
    path("staff/<slug:slug>/questions/", views_staff.questions, name="questions"),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/",
        views_staff.question_edit,
        name="question_edit",
    ),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/remove/",
        views_staff.question_delete,
        name="question_delete",
    ),
    path("staff/<slug:slug>/criteria/", views_staff.criteria, name="criteria"),
    path(
        "staff/<slug:slug>/criteria/<int:criterion_id>/",
        views_staff.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "staff/<slug:slug>/criteria/<int:criterion_id>/remove/",
        views_staff.criterion_delete,
        name="criterion_delete",
    ),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/apply/", views.apply, name="apply"),
    path("<slug:slug>/apply/eligibility/", views.eligibility, name="eligibility"),
    path("<slug:slug>/review/", views.review_list, name="review_list"),
    path("<slug:slug>/review/decide/", views.decide_bulk, name="decide_bulk"),
]
