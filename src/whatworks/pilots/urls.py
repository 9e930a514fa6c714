from django.urls import path

from whatworks.pilots import views

app_name = "pilots"

urlpatterns = [
    path("", views.index, name="index"),
]
