app_name = "fieldops"
urlpatterns: list = []
