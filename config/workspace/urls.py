from django.urls import path

from config.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("projects/<int:project_id>/", views.project_detail, name="project-detail"),
]
