from django.urls import path

from whatworks.evidence import views

app_name = "evidence"

urlpatterns = [
    path("", views.index, name="index"),
]
