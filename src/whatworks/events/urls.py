from django.urls import path

from whatworks.events import views, views_checkin, views_feedback, views_staff

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
    path("registration/<str:token>/answers/", views.registration_answers, name="answers"),
    path(
        "registration/<str:token>/certificate.pdf",
        views.registration_certificate,
        name="certificate",
    ),
    # staff (the admin stays for administrators)
    path("staff/", views_staff.manage, name="manage"),
    path("staff/new/", views_staff.create, name="create"),
    path("staff/ticket/<str:code>/", views_checkin.ticket, name="ticket"),
    path("staff/<slug:slug>/", views_staff.manage_event, name="manage_event"),
    path("staff/<slug:slug>/edit/", views_staff.edit, name="edit"),
    path("staff/<slug:slug>/duplicate/", views_staff.duplicate, name="duplicate"),
    path("staff/<slug:slug>/publish/", views_staff.publish, name="publish"),
    path("staff/<slug:slug>/cancel/", views_staff.cancel_event, name="cancel_event"),
    path("staff/<slug:slug>/questions/", views_staff.questions, name="questions"),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/",
        views_staff.question_edit,
        name="question_edit",
    ),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/remove/",
        views_staff.question_delete,
        name="question_delete",
    ),
    path("staff/<slug:slug>/feedback/", views_feedback.feedback, name="feedback"),
    path("staff/<slug:slug>/feedback/send/", views_feedback.feedback_send, name="feedback_send"),
    path("staff/<slug:slug>/attendees/add/", views_staff.attendee_add, name="attendee_add"),
    path("staff/<slug:slug>/attendees/email/", views_staff.attendees_email, name="attendees_email"),
    path(
        "staff/<slug:slug>/attendees/<int:registration_id>/move/",
        views_staff.attendee_move,
        name="attendee_move",
    ),
    path(
        "staff/<slug:slug>/attendees/<int:registration_id>/cancel/",
        views_staff.attendee_cancel,
        name="attendee_cancel",
    ),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/event.ics", views.event_calendar, name="calendar"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/attendees/", views.attendees, name="attendees"),
    path("<slug:slug>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/check-in/", views_checkin.check_in, name="check_in"),
    path("<slug:slug>/check-in/count/", views_checkin.check_in_count, name="check_in_count"),
    path("<slug:slug>/check-in/scan/", views_checkin.check_in_scan, name="check_in_scan"),
    path("<slug:slug>/check-in/walk-in/", views_checkin.walk_in, name="walk_in"),
    path(
        "<slug:slug>/check-in/<int:registration_id>/",
        views_checkin.check_in_person,
        name="check_in_person",
    ),
    path(
        "<slug:slug>/check-in/<int:registration_id>/undo/",
        views_checkin.check_in_undo,
        name="check_in_undo",
    ),
]
