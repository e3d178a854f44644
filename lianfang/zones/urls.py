from django.urls import path

from lianfang.zones import views

app_name = "zones"
urlpatterns = [
    path("", views.index, name="index"),
    path("operations/open/", views.operation_open, name="operation_open"),
    path("operations/<int:pk>/rule-set/", views.operation_rule_set, name="operation_rule_set"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    path("areas/<int:pk>/approve/", views.area_approve, name="area_approve"),
    path("areas/<int:pk>/withdraw/", views.area_withdraw, name="area_withdraw"),
    path("areas/<int:pk>/places/", views.area_nodes, name="area_nodes"),
    path("areas/<int:pk>/lift/", views.area_change, {"action": "lift"}, name="area_lift"),
    path("areas/<int:pk>/downgrade/", views.area_change, {"action": "downgrade"}, name="area_downgrade"),
    path("areas/<int:pk>/evidence/", views.area_evidence, name="area_evidence"),
    path("areas/<int:pk>/notice/<int:event_pk>/", views.notice, name="notice"),
    path("infections/", views.infections, name="infections"),
    path("infections/new/", views.infection_new, name="infection_new"),
    path("infections/resident-search/", views.resident_search, name="resident_search"),
    path("infections/<int:pk>/", views.infection_detail, name="infection"),
    path("infections/<int:pk>/approve/", views.infection_approve, name="infection_approve"),
    path("map/", views.map_page, name="map"),
    path("map/shapes.json", views.map_data, name="map_data"),
    path("tiers/", views.tiers_page, name="tiers"),
    path("rule-sets/", views.rule_sets, name="rule_sets"),
    path("rule-sets/<slug:key>/", views.rule_set_detail, name="rule_set"),
    path("rule-sets/<slug:key>/copy/", views.rule_set_copy, name="rule_set_copy"),
    path("rule-sets/<slug:key>/edit/", views.rule_set_edit, name="rule_set_edit"),
]
