from django.urls import path

from whatworks.news import views

app_name = "news"

urlpatterns = [
    path("", views.index, name="index"),
]
