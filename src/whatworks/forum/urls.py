from django.urls import path

from whatworks.forum.views import manage, public

app_name = "forum"

urlpatterns = [
    path("", public.index, name="index"),
    # before "<slug>/": "staff" is a reserved slug (services.conversations.RESERVED_SLUGS)
    path("staff/", manage.staff_list, name="staff_list"),
    path("staff/new/", manage.conversation_create, name="conversation_create"),
    path("staff/import/", manage.conversation_import, name="conversation_import"),
    path("<slug:slug>/", public.conversation, name="conversation"),
    path("<slug:slug>/vote/", public.vote, name="vote"),
    path("<slug:slug>/write/", public.statement_add, name="statement_add"),
    path("<slug:slug>/me/", public.me, name="me"),
    path("<slug:slug>/confirm-email/", public.verify, name="verify"),
    path("<slug:slug>/confirm-email/<str:token>/", public.verify_confirm, name="verify_confirm"),
    path("<slug:slug>/report/", public.report, name="report"),
    path("<slug:slug>/dashboard/", public.dashboard, name="dashboard"),
    path("<slug:slug>/statements/<int:number>/moderate/", public.moderate, name="moderate"),
    path("<slug:slug>/edit/", manage.conversation_edit, name="conversation_edit"),
    path("<slug:slug>/open/", manage.conversation_open, name="open"),
    path("<slug:slug>/embed/", manage.conversation_embed, name="conversation_embed"),
    path("<slug:slug>/close/", public.close, name="close"),
    path("<slug:slug>/export.zip", public.export, name="export"),
]
