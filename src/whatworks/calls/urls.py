from django.urls import path

from whatworks.calls.views import accounts, manage, public

app_name = "calls"

urlpatterns = [
    path("", public.index, name="index"),
    path("applications/", public.my_applications, name="my_applications"),
    path("applications/<int:application_id>/", public.application, name="application"),
    path(
        "applications/<int:application_id>/files/<int:attachment_id>/",
        public.attachment,
        name="attachment",
    ),
    path("applications/<int:application_id>/review/", public.review, name="review"),
    path("applications/<int:application_id>/decide/", public.decide, name="decide"),
    path("applications/<int:application_id>/withdraw/", public.withdraw, name="withdraw"),
    path("applications/<int:application_id>/assign/", public.assign, name="assign"),
    path(
        "applications/<int:application_id>/assign/<int:assignment_id>/remove/",
        public.unassign,
        name="unassign",
    ),
    path("applications/<int:application_id>/conflict/", public.conflict, name="conflict"),
    path("account/new/", accounts.account_new, name="account_new"),
    path("account/new/sent/", accounts.account_sent, name="account_sent"),
    path("account/new/<str:token>/", accounts.account_confirm, name="account_confirm"),
    path("account/organisation/", accounts.join, name="join"),
    path("organisation-requests/", accounts.join_requests, name="join_requests"),
    path(
        "organisation-requests/<int:request_id>/",
        accounts.join_decide,
        name="join_decide",
    ),
    # staff (the admin stays for administrators)
    path("staff/", manage.manage, name="manage"),
    path("staff/new/", manage.create, name="create"),
    path("staff/<slug:slug>/", manage.edit, name="edit"),
    path("staff/<slug:slug>/questions/", manage.questions, name="questions"),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/",
        manage.question_edit,
        name="question_edit",
    ),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/remove/",
        manage.question_delete,
        name="question_delete",
    ),
    path("staff/<slug:slug>/criteria/", manage.criteria, name="criteria"),
    path(
        "staff/<slug:slug>/criteria/<int:criterion_id>/",
        manage.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "staff/<slug:slug>/criteria/<int:criterion_id>/remove/",
        manage.criterion_delete,
        name="criterion_delete",
    ),
    path("<slug:slug>/", public.detail, name="detail"),
    path("<slug:slug>/apply/", public.apply, name="apply"),
    path("<slug:slug>/apply/eligibility/", public.eligibility, name="eligibility"),
    path("<slug:slug>/review/", public.review_list, name="review_list"),
    path("<slug:slug>/review/decide/", public.decide_bulk, name="decide_bulk"),
]
