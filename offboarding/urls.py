from django.urls import path

app_name = "offboarding"

urlpatterns: list = []
