from django.urls import path

from whatworks.events import views

app_name = "events"

urlpatterns = [
    path("", views.index, name="index"),
]
