from django.urls import path

from lianfang.assistance import views

app_name = "assistance"
urlpatterns = [
    path("", views.index, name="index"),
    path("tickets/", views.tickets, name="tickets"),
    path("tickets/new/", views.new_ticket, name="new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/timeline.xlsx", views.ticket_export, name="ticket_export"),
    path("tickets/<int:pk>/pass/", views.pass_new, name="pass_new"),
    path("tickets/<int:pk>/<str:action>/", views.ticket_action, name="ticket_action"),
    path("import/", views.partner_import, name="import"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
    path("qr/", views.qr_sheet, name="qr_sheet"),
    path("qr/household/<int:pk>/", views.household_qr, name="household_qr"),
    path("passes/<int:pk>/", views.exit_pass, name="exit_pass"),
    path("passes/<int:pk>/revoke/", views.pass_revoke, name="pass_revoke"),
    path("gate/<str:token>/", views.pass_check, name="pass_check"),
    path("care/", views.care, name="care"),
    path("care/tasks/<int:pk>/", views.check_in, name="check_in"),
    path("care/medicines/new/", views.medicine_new, name="medicine_new"),
    path("supplies/", views.plans, name="plans"),
    path("supplies/<int:pk>/", views.plan_detail, name="plan"),
    path("supplies/<int:pk>/tenant/", views.plan_tenant, name="plan_tenant"),
    path("supplies/<int:pk>/undelivered/", views.plan_undelivered, name="plan_undelivered"),
    path("supplies/<int:pk>/close/", views.plan_close, name="plan_close"),
    path("supplies/lines/<int:pk>/<str:status>/", views.delivery_mark, name="delivery_mark"),
    path("r/<str:token>/", views.resident_home, name="resident_home"),
    path("r/<str:token>/new/", views.resident_new, name="resident_new"),
    path("r/<str:token>/confirm/<int:pk>/", views.resident_confirm, name="resident_confirm"),
    path("r/<str:token>/received/<int:pk>/", views.resident_delivery_confirm, name="resident_delivery_confirm"),
]
