from django.urls import path

from whatworks.forum import views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
]
