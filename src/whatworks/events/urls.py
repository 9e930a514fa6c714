from django.urls import path

from whatworks.events import views

app_name = "events"

urlpatterns = [
    path("", views.index, name="index"),
    path("past/", views.past, name="past"),
    path("calendar.ics", views.feed, name="feed"),
    path("registration/<str:token>/", views.registration, name="registration"),
    path("registration/<str:token>/confirm/", views.registration_confirm, name="confirm"),
    path(
        "registration/<str:token>/event.ics",
        views.registration_calendar,
        name="registration_calendar",
    ),
    path("registration/<str:token>/cancel/", views.registration_cancel, name="cancel"),
    path("registration/<str:token>/accept/", views.registration_accept, name="accept"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/event.ics", views.event_calendar, name="calendar"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/attendees/", views.attendees, name="attendees"),
    path("<slug:slug>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/check-in/", views.check_in, name="check_in"),
    path(
        "<slug:slug>/check-in/<int:registration_id>/", views.check_in_person, name="check_in_person"
    ),
]
