from django.urls import path

from whatworks.core.views import account, audit, health, mfa, pages, tasks

app_name = "core"

urlpatterns = [
    path("", pages.home, name="home"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("privacy/", pages.privacy, name="privacy"),
    path("healthz", health.healthz, name="healthz"),
    path("account/sign-in/", account.sign_in, name="login"),
    path("account/sign-out/", account.sign_out, name="logout"),
    path("account/password-reset/", account.password_reset, name="password_reset"),
    path("account/password-reset/sent/", account.password_reset_done, name="password_reset_done"),
    path(
        "account/password-reset/<uidb64>/<token>/",
        account.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/complete/",
        account.password_reset_complete,
        name="password_reset_complete",
    ),
    path("account/security/", mfa.overview, name="mfa"),
    path("account/security/set-up/", mfa.setup, name="mfa_setup"),
    path("account/security/verify/", mfa.verify, name="mfa_verify"),
    path("account/security/recovery-codes/", mfa.recovery_codes, name="mfa_recovery_codes"),
    path("account/security/turn-off/", mfa.turn_off, name="mfa_turn_off"),
    path("staff/audit/", audit.audit_log, name="audit_log"),
    path("staff/audit/export/", audit.audit_export, name="audit_export"),
    path(
        "staff/audit/exports/<uuid:record_id>/",
        audit.audit_export_download,
        name="audit_export_download",
    ),
    path("tasks/<uuid:record_id>/", tasks.task_detail, name="task_detail"),
]
