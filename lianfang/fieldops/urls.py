from django.urls import path

from lianfang.fieldops import views

app_name = "fieldops"
urlpatterns = [
    path("", views.index, name="index"),
    # gate duty and entry/exit
    path("roster/", views.roster, name="roster"),
    path("roster/generate/", views.roster_generate, name="roster_generate"),
    path("gates/new/", views.gate_create, name="gate_create"),
    path("gates/<int:pk>/", views.gate, name="gate"),
    path("shifts/<int:pk>/assign/", views.shift_assign, name="shift_assign"),
    path("shifts/<int:pk>/check-in/", views.shift_check_in, name="shift_check_in"),
    path("shifts/<int:pk>/check-out/", views.shift_check_out, name="shift_check_out"),
    path("duty/", views.my_duty, name="my_duty"),
    path("passages/", views.passages, name="passages"),
    # patrols
    path("checkpoints/", views.checkpoints, name="checkpoints"),
    path("checkpoints/new/", views.checkpoint_create, name="checkpoint_create"),
    path("checkpoints/print/", views.checkpoints_print, name="checkpoints_print"),
    path("p/<str:token>/", views.patrol_scan, name="patrol_scan"),
    path("patrols/<int:pk>/finish/", views.patrol_finish, name="patrol_finish"),
    # screening and contacts
    path("people/", views.people, name="people"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/import/", views.people_import, name="people_import"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/<str:action>/", views.person_action, name="person_action"),
    path("bulk/", views.bulk_changes, name="bulk_changes"),
    path("bulk/new/", views.bulk_request, name="bulk_request"),
    path("bulk/<int:pk>/<str:decision>/", views.bulk_decide, name="bulk_decide"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/<int:pk>/hand-over/", views.transfer_hand_over, name="transfer_hand_over"),
    # home monitoring
    path("monitoring/", views.monitoring, name="monitoring"),
    path("monitoring/new/", views.monitoring_start, name="monitoring_start"),
    path("monitoring/cards/", views.monitoring_cards, name="monitoring_cards"),
    path("monitoring/<int:pk>/check-in/", views.monitoring_check_in, name="monitoring_check_in"),
    path("h/<str:token>/", views.resident_check_in, name="resident_check_in"),
    # disinfection
    path("disinfection/", views.disinfection, name="disinfection"),
    path("disinfection/<str:action>/", views.disinfection_action, name="disinfection_action"),
    # notices
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>/poster/", views.notice_poster, name="notice_poster"),
    path("notices/<int:pk>/<str:action>/", views.notice_action, name="notice_action"),
    path("n/<str:token>/", views.notice_public, name="notice_public"),
    path("channels/", views.channels, name="channels"),
    path("channels/<int:pk>/toggle/", views.channel_toggle, name="channel_toggle"),
    # alerts and the daily briefing
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/ack/", views.alert_ack, name="alert_ack"),
    path("briefing/", views.briefing_page, name="briefing"),
]
