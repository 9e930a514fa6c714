from django.urls import path

from whatworks.calls import views

app_name = "calls"

urlpatterns = [
    path("", views.index, name="index"),
]
