from django.urls import path

from whatworks.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.index, name="index"),
]
