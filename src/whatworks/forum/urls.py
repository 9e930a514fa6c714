from django.urls import path

from whatworks.forum import views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.conversation, name="conversation"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
    path("<slug:slug>/write/", views.statement_add, name="statement_add"),
    path("<slug:slug>/me/", views.me, name="me"),
    path("<slug:slug>/report/", views.report, name="report"),
    path("<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("<slug:slug>/statements/<int:number>/moderate/", views.moderate, name="moderate"),
    path("<slug:slug>/close/", views.close, name="close"),
    path("<slug:slug>/export.zip", views.export, name="export"),
]
