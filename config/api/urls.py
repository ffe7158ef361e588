from django.urls import path

from config.api import views

app_name = "api"

urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
]
