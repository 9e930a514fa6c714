from django.urls import path

from whatworks.panel import views

app_name = "panel"

urlpatterns = [
    path("", views.index, name="index"),
]
