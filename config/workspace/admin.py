from django.contrib import admin

from config.workspace.models import ActivityEntry, Attachment, Comment, Project, Task


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "organisation", "status", "due_on"]
    list_filter = ["status"]
    search_fields = ["name", "key"]
    raw_id_fields = ["organisation"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "number", "status", "priority", "due_on"]
    list_filter = ["status", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["project", "assignee"]
    # The tables hold millions of rows in the demo; counting them on every page is slow.
    show_full_result_count = False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["pk", "task", "author", "created_at"]
    raw_id_fields = ["task", "author"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "task", "content_type", "size", "created_at"]
    raw_id_fields = ["task", "uploaded_by"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organisation", "actor", "verb", "target"]
    list_filter = ["verb"]
    raw_id_fields = ["organisation", "actor"]
    show_full_result_count = False
