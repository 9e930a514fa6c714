from django.urls import path

from whatworks.events.views import checkin, feedback, manage, public

app_name = "events"

urlpatterns = [
    path("", public.index, name="index"),
    path("past/", public.past, name="past"),
    path("calendar.ics", public.feed, name="feed"),
    path("registration/<str:token>/", public.registration, name="registration"),
    path("registration/<str:token>/confirm/", public.registration_confirm, name="confirm"),
    path(
        "registration/<str:token>/event.ics",
        public.registration_calendar,
        name="registration_calendar",
    ),
    path("registration/<str:token>/cancel/", public.registration_cancel, name="cancel"),
    path("registration/<str:token>/accept/", public.registration_accept, name="accept"),
    path("registration/<str:token>/answers/", public.registration_answers, name="answers"),
    path(
        "registration/<str:token>/certificate.pdf",
        public.registration_certificate,
        name="certificate",
    ),
    # staff (the admin stays for administrators)
    path("staff/", manage.manage, name="manage"),
    path("staff/new/", manage.create, name="create"),
    path("staff/ticket/<str:code>/", checkin.ticket, name="ticket"),
    path("staff/<slug:slug>/", manage.manage_event, name="manage_event"),
    path("staff/<slug:slug>/edit/", manage.edit, name="edit"),
    path("staff/<slug:slug>/duplicate/", manage.duplicate, name="duplicate"),
    path("staff/<slug:slug>/publish/", manage.publish, name="publish"),
    path("staff/<slug:slug>/cancel/", manage.cancel_event, name="cancel_event"),
    path("staff/<slug:slug>/questions/", manage.questions, name="questions"),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/",
        manage.question_edit,
        name="question_edit",
    ),
    path(
        "staff/<slug:slug>/questions/<int:question_id>/remove/",
        manage.question_delete,
        name="question_delete",
    ),
    path("staff/<slug:slug>/feedback/", feedback.feedback, name="feedback"),
    path("staff/<slug:slug>/feedback/send/", feedback.feedback_send, name="feedback_send"),
    path("staff/<slug:slug>/attendees/add/", manage.attendee_add, name="attendee_add"),
    path("staff/<slug:slug>/attendees/email/", manage.attendees_email, name="attendees_email"),
    path(
        "staff/<slug:slug>/attendees/<int:registration_id>/move/",
        manage.attendee_move,
        name="attendee_move",
    ),
    path(
        "staff/<slug:slug>/attendees/<int:registration_id>/cancel/",
        manage.attendee_cancel,
        name="attendee_cancel",
    ),
    path("<slug:slug>/", public.detail, name="detail"),
    path("<slug:slug>/event.ics", public.event_calendar, name="calendar"),
    path("<slug:slug>/register/", public.register, name="register"),
    path("<slug:slug>/attendees/", public.attendees, name="attendees"),
    path("<slug:slug>/attendees.csv", public.attendees_csv, name="attendees_csv"),
    path("<slug:slug>/check-in/", checkin.check_in, name="check_in"),
    path("<slug:slug>/check-in/count/", checkin.check_in_count, name="check_in_count"),
    path("<slug:slug>/check-in/scan/", checkin.check_in_scan, name="check_in_scan"),
    path("<slug:slug>/check-in/walk-in/", checkin.walk_in, name="walk_in"),
    path(
        "<slug:slug>/check-in/<int:registration_id>/",
        checkin.check_in_person,
        name="check_in_person",
    ),
    path(
        "<slug:slug>/check-in/<int:registration_id>/undo/",
        checkin.check_in_undo,
        name="check_in_undo",
    ),
]
