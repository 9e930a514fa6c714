from django.urls import path

from whatworks.calls import views

app_name = "calls"

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.my_applications, name="my_applications"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path(
        "applications/<int:application_id>/files/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("applications/<int:application_id>/review/", views.review, name="review"),
    path("applications/<int:application_id>/decide/", views.decide, name="decide"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/apply/", views.apply, name="apply"),
    path("<slug:slug>/review/", views.review_list, name="review_list"),
]
