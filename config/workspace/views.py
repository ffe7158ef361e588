"""Product pages of the demo: the dashboard and a project's tasks."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from config.accounts.current import membership_required
from config.workspace.models import ActivityEntry, Project, Task

DASHBOARD_TASK_LIMIT = 20
DASHBOARD_ACTIVITY_LIMIT = 10
PROJECT_TASK_LIMIT = 200


@membership_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    projects = (
        Project.objects.filter(organisation=organisation)
        .annotate(
            task_count=Count("tasks"),
            open_task_count=Count("tasks", filter=~Q(tasks__status=Task.Status.DONE)),
        )
        .order_by("name", "pk")
    )
    open_tasks = (
        Task.objects.filter(project__organisation=organisation)
        .exclude(status=Task.Status.DONE)
        .select_related("project", "assignee")
        .order_by(F("due_on").asc(nulls_last=True), "pk")[:DASHBOARD_TASK_LIMIT]
    )
    activity = (
        ActivityEntry.objects.filter(organisation=organisation)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:DASHBOARD_ACTIVITY_LIMIT]
    )
    return render(
        request,
        "workspace/dashboard.html",
        {"projects": projects, "open_tasks": open_tasks, "activity": activity},
    )


@membership_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    # Filtering by organisation makes another organisation's project a 404, not a leak.
    project = get_object_or_404(Project, pk=project_id, organisation=request.organisation)
    tasks = (
        project.tasks.select_related("assignee")
        .annotate(comment_count=Count("comments"))
        .order_by("number")[:PROJECT_TASK_LIMIT]
    )
    return render(request, "workspace/project_detail.html", {"project": project, "tasks": tasks})
