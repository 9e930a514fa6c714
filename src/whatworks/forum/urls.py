from django.urls import path

from whatworks.forum import views, views_staff

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    # before "<slug>/": "staff" is a reserved slug (services.RESERVED_SLUGS)
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/new/", views_staff.conversation_create, name="conversation_create"),
    path("staff/import/", views_staff.conversation_import, name="conversation_import"),
    path("<slug:slug>/", views.conversation, name="conversation"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
    path("<slug:slug>/write/", views.statement_add, name="statement_add"),
    path("<slug:slug>/me/", views.me, name="me"),
    path("<slug:slug>/confirm-email/", views.verify, name="verify"),
    path("<slug:slug>/confirm-email/<str:token>/", views.verify_confirm, name="verify_confirm"),
    path("<slug:slug>/report/", views.report, name="report"),
    path("<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("<slug:slug>/statements/<int:number>/moderate/", views.moderate, name="moderate"),
    path("<slug:slug>/edit/", views_staff.conversation_edit, name="conversation_edit"),
    path("<slug:slug>/open/", views_staff.conversation_open, name="open"),
    path("<slug:slug>/embed/", views_staff.conversation_embed, name="conversation_embed"),
    path("<slug:slug>/close/", views.close, name="close"),
    path("<slug:slug>/export.zip", views.export, name="export"),
]
