"""Admin for the cases part: the case list and timeline, audit events, steps, staff actions.

Cases change only through the lifecycle workflows, so the case admin is read-only and its
changes are the staff actions of :mod:`offboarding.admin.case_actions`, each asking for a
reason on an intermediate page and each checking its own permission.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from offboarding import clock, steps
from offboarding.adapter import get_adapter
from offboarding.admin import case_actions, timeline
from offboarding.admin.case_actions import ACT_ON_CASE, ACTIONS, MANAGE_RETENTION
from offboarding.admin.times import ZonedTimesMixin, format_zoned_cell, zone_named
from offboarding.models import Actor, AuditEvent, CaseState, CaseStep, OffboardingCase
from offboarding.models.portal import SurveyReason, SurveyResponse

logger = logging.getLogger(__name__)


# List filters


class VaultedFilter(admin.SimpleListFilter):
    title = _("data vault")
    parameter_name = "vaulted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("in the vault")), ("no", _("not in the vault"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(state=CaseState.VAULTED)
        if self.value() == "no":
            return queryset.exclude(state=CaseState.VAULTED)
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    title = _("survey reason")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            *SurveyReason.objects.order_by("order", "pk").values_list("code", "label"),
            ("-", _("no reason given")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "-":
            return queryset.filter(
                Q(survey_response__isnull=True) | Q(survey_response__reason_code="")
            )
        if self.value():
            return queryset.filter(survey_response__reason_code=self.value())
        return queryset


class NpsFilter(admin.SimpleListFilter):
    title = _("NPS answer")
    parameter_name = "nps"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("promoter", _("promoter (9-10)")),
            ("passive", _("passive (7-8)")),
            ("detractor", _("detractor (0-6)")),
            ("none", _("no answer")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        choices = {
            "promoter": Q(survey_response__nps__gte=9),
            "passive": Q(survey_response__nps__gte=7, survey_response__nps__lte=8),
            "detractor": Q(survey_response__nps__lte=6),
            "none": Q(survey_response__nps__isnull=True),
        }
        condition = choices.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class ClockDateFilter(admin.SimpleListFilter):
    """Past, coming and missing dates of one field, relative to the app clock.

    Django's date filter counts from the wall clock, which is wrong when the app clock is
    moved (demo, tests), so this filter reads ``clock.now()``.
    """

    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("past", _("passed")),
            ("next7", _("in the next 7 days")),
            ("next30", _("in the next 30 days")),
            ("later", _("after 30 days")),
            ("none", _("no date")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        now = clock.now()
        name = self.field_name
        choices = {
            "past": Q(**{f"{name}__lte": now}),
            "next7": Q(**{f"{name}__gt": now, f"{name}__lte": now + timedelta(days=7)}),
            "next30": Q(**{f"{name}__gt": now, f"{name}__lte": now + timedelta(days=30)}),
            "later": Q(**{f"{name}__gt": now + timedelta(days=30)}),
            "none": Q(**{f"{name}__isnull": True}),
        }
        condition = choices.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class BoundaryFilter(ClockDateFilter):
    title = _("access ends")
    parameter_name = "boundary"
    field_name = "boundary_at"


class PurgeDateFilter(ClockDateFilter):
    title = _("data deleted on")
    parameter_name = "purge_date"
    field_name = "retention_ends_at"


# Cases


def account_zone(case: OffboardingCase) -> tzinfo | None:
    """Return the zone the portal shows the case's account in, or None if it is unknown.

    After the purge deleted the account row, the zone copied at the start of the purge
    is used instead.
    """
    from offboarding.models import PurgeRun

    adapter = get_adapter()
    account = adapter.get_account(case.account_key)
    if account is not None:
        return adapter.get_timezone(account)
    name = PurgeRun.objects.filter(case=case).values_list("timezone", flat=True).first()
    return zone_named(name or "")


@admin.register(OffboardingCase)
class OffboardingCaseAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = [
        "account",
        "state",
        "boundary_at",
        "retention_ends_at",
        "reason",
        "nps_answer",
        "legal_hold",
        "vaulted",
        "needs_attention",
        "requested_at",
    ]
    list_filter = [
        "state",
        BoundaryFilter,
        PurgeDateFilter,
        ReasonFilter,
        NpsFilter,
        "legal_hold",
        VaultedFilter,
        "needs_attention",
    ]
    search_fields = ["public_id__exact", "account_key__exact", "account_label__icontains"]
    search_help_text = _(
        "Account key or case public id (exact), otherwise part of the account name."
    )
    date_hierarchy = "requested_at"
    list_per_page = 50
    # A second COUNT(*) over the whole table only feeds the "N total" link; skip it.
    show_full_result_count = False
    # Facet counts run one COUNT per filter choice over every case; too slow at scale.
    show_facets = admin.ShowFacets.NEVER
    actions = [
        "extend_retention",
        "place_legal_hold",
        "lift_legal_hold",
        "reactivate",
        "withdraw",
    ]
    readonly_fields = [field.name for field in OffboardingCase._meta.concrete_fields]
    change_form_template = "admin/offboarding/offboardingcase/change_form.html"
    change_list_template = "admin/offboarding/offboardingcase/change_list.html"

    # Read-only: cases change through the workflows only.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_manage_retention_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"offboarding.{MANAGE_RETENTION}")

    def has_act_on_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"offboarding.{ACT_ON_CASE}")

    def has_case_action_permission(self, request: HttpRequest, action: Any) -> bool:
        return request.user.has_perm(f"offboarding.{action.permission}")

    # List columns

    @admin.display(description=_("account"), ordering="account_label")
    def account(self, case: OffboardingCase) -> str:
        return format_html("{}<br><small>{}</small>", case.account_label or "-", case.account_key)

    # The survey columns read the annotations of annotate_case_list.

    @admin.display(description=_("reason"), ordering="survey_reason_code")
    def reason(self, case: Any) -> str:
        return case.survey_reason_label or case.survey_reason_code or "-"

    @admin.display(description=_("NPS answer"), ordering="survey_nps")
    def nps_answer(self, case: Any) -> str:
        return "-" if case.survey_nps is None else str(case.survey_nps)

    @admin.display(description=_("vault"), boolean=True)
    def vaulted(self, case: OffboardingCase) -> bool:
        return case.state == CaseState.VAULTED

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return annotate_case_list(super().get_queryset(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Match a whole key or public id through their indexes before scanning names.

        A substring search on the name reads every case, so it runs only when the term is
        neither an account key nor a public id.
        """
        term = search_term.strip()
        if term:
            by_key = queryset.filter(Q(public_id=term) | Q(account_key=term))
            if by_key.exists():
                return by_key, False
        return super().get_search_results(request, queryset, search_term)

    # Change page

    # The fields staff read first; the rest sit in a collapsed fieldset so the timeline
    # below stays close to the top of the page.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "account_label",
                    "account_key",
                    "public_id",
                    "state",
                    "saved_as",
                    "plan_name",
                    "jurisdiction",
                    "immediate",
                ]
            },
        ),
        (
            _("Dates"),
            {
                "fields": [
                    "requested_at",
                    "confirmed_at",
                    "boundary_at",
                    "ended_at",
                    "retention_ends_at",
                    "vaulted_at",
                    "purged_at",
                ]
            },
        ),
        (
            _("Flags"),
            {
                "fields": [
                    "legal_hold",
                    "legal_hold_reason",
                    "needs_attention",
                    "attention_reason",
                ]
            },
        ),
        (
            _("Other fields"),
            {
                "classes": ["collapse"],
                "fields": [
                    "plan_code",
                    "requested_by",
                    "pause_ends_at",
                    "retention_days",
                    "retention_starts_at",
                    "purge_started_at",
                    "closed_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_account_zone(self, case: OffboardingCase) -> tzinfo | None:
        # Each date-time field of the page calls this, so the zone is kept on the case.
        if "_account_zone" not in case.__dict__:
            case.__dict__["_account_zone"] = account_zone(case)
        return case.__dict__["_account_zone"]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        case = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if case is not None:
            valid, first_bad = AuditEvent.verify_chain(case)
            extra_context.update(
                sections=self._zoned_sections(case),
                account_zone=self.get_account_zone(case),
                case_actions=self._offered_actions(request, case),
                chain_valid=valid,
                chain_first_bad=first_bad,
                empty_value=self.get_empty_value_display(),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _zoned_sections(self, case: OffboardingCase) -> list[timeline.Section]:
        """Return the case's timeline sections with every date-time named by its zone."""
        zone = self.get_account_zone(case)
        sections = timeline.build_sections(case)
        for section in sections:
            section.rows = [
                [
                    format_zoned_cell(cell, zone) if isinstance(cell, datetime) else cell
                    for cell in row
                ]
                for row in section.rows
            ]
        return sections

    def _offered_actions(self, request: HttpRequest, case: OffboardingCase) -> list[dict]:
        offered = []
        for action in ACTIONS.values():
            if not self.has_case_action_permission(request, action) or not action.offered(case):
                continue
            url = reverse(
                f"{self.admin_site.name}:offboarding_offboardingcase_action",
                args=[case.pk, action.name],
            )
            offered.append({"name": action.name, "label": action.label, "url": url})
        return offered

    # Per-case action pages

    def get_urls(self) -> list:
        from offboarding.admin import dashboard

        wrap = self.admin_site.admin_view
        return [
            path(
                "dashboard/",
                wrap(dashboard.DashboardView.as_view(model_admin=self)),
                name="offboarding_dashboard",
            ),
            path(
                "dashboard/survey-answers.csv",
                wrap(dashboard.SurveyAnswersCsvView.as_view(model_admin=self)),
                name="offboarding_dashboard_survey_csv",
            ),
            path(
                "<path:object_id>/action/<slug:name>/",
                wrap(self.case_action_view),
                name="offboarding_offboardingcase_action",
            ),
            *super().get_urls(),
        ]

    def case_action_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        action = ACTIONS.get(name)
        if action is None or not self.has_view_permission(request):
            raise PermissionDenied
        if not self.has_case_action_permission(request, action):
            raise PermissionDenied
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404(_("No case with id %(id)s.") % {"id": object_id})
        change_url = reverse(
            f"{self.admin_site.name}:offboarding_offboardingcase_change", args=[case.pk]
        )

        form = action.form_class(request.POST or None)
        if hasattr(form, "bind_case"):
            form.bind_case(case)
        if request.method == "POST" and form.is_valid():
            rejection = case_actions.run_action(action, case, request.user, form.cleaned_data)
            if not rejection:
                done = action.done_message or _("%(action)s: done.") % {"action": action.label}
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
            form.add_error(
                None, _("Rejected: %(rejection)s. Nothing was changed.") % {"rejection": rejection}
            )

        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": action.label,
            "case": case,
            "cases": [case],
            "action": action,
            "form": form,
            "change_url": change_url,
        }
        if action.name == "purge_now":
            from offboarding.admin import purge_preview

            context["preview"] = purge_preview.preview(case)
        return TemplateResponse(
            request, "admin/offboarding/offboardingcase/action_form.html", context
        )

    # Bulk actions from the list: the same forms, posted back to the list.

    def _bulk(self, request: HttpRequest, queryset: QuerySet, name: str) -> HttpResponse | None:
        action = ACTIONS[name]
        form = action.form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, rejected = 0, []
            for case in queryset.order_by("pk"):
                rejection = case_actions.run_action(action, case, request.user, form.cleaned_data)
                if rejection:
                    rejected.append(f"{case.account_label or case.account_key}: {rejection}")
                else:
                    done += 1
            self.message_user(
                request,
                _("%(action)s: %(count)d case(s) done.") % {"action": action.label, "count": done},
                messages.SUCCESS,
            )
            for line in rejected:
                self.message_user(
                    request,
                    _("Rejected, nothing changed: %(line)s") % {"line": line},
                    messages.WARNING,
                )
            return None
        return TemplateResponse(
            request,
            "admin/offboarding/offboardingcase/action_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": action.label,
                "cases": list(queryset[:200]),
                "selected": queryset.values_list("pk", flat=True),
                "action": action,
                "form": form,
                "bulk_action": name,
            },
        )

    @admin.action(description=_("Extend the retention window"), permissions=["manage_retention"])
    def extend_retention(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "extend_retention")

    @admin.action(description=_("Place a legal hold"), permissions=["manage_retention"])
    def place_legal_hold(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "place_legal_hold")

    @admin.action(description=_("Lift the legal hold"), permissions=["manage_retention"])
    def lift_legal_hold(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "lift_legal_hold")

    @admin.action(description=_("Reactivate the account"), permissions=["act_on"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "reactivate")

    @admin.action(description=_("Withdraw the pending cancellation"), permissions=["act_on"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, "withdraw")


def annotate_case_list(queryset: QuerySet) -> QuerySet:
    """Add the survey answer the case list shows, as subqueries of the one list query.

    Subqueries rather than a join: Django drops unused subquery annotations from the
    list's COUNT(*) and date queries, and with the list's index order PostgreSQL runs
    them only for the rows of the page.
    """
    responses = SurveyResponse.objects.filter(case_id=OuterRef("pk"))
    reason_labels = SurveyReason.objects.filter(code=OuterRef("survey_reason_code")).values(
        "label"
    )[:1]
    return queryset.annotate(
        survey_reason_code=Subquery(responses.values("reason_code")[:1]),
        survey_nps=Subquery(responses.values("nps")[:1]),
    ).annotate(survey_reason_label=Subquery(reason_labels))


# Audit events: nobody may add, change or delete one, superusers included.


@admin.register(AuditEvent)
class AuditEventAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "sequence",
        "occurred_at",
        "action",
        "from_state",
        "to_state",
        "actor_kind",
        "actor_id",
    ]
    list_filter = ["action", "actor_kind"]
    search_fields = ["case__public_id__exact", "case__account_key__exact"]
    list_select_related = ["case"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Steps: read-only, with a retry of failed steps.


@admin.register(CaseStep)
class CaseStepAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "moment",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "finished_at",
    ]
    list_filter = ["status", "moment"]
    search_fields = ["case__public_id__exact", "case__account_key__exact", "handler"]
    list_select_related = ["case"]
    show_full_result_count = False
    actions = ["retry_failed_steps"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_act_on_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"offboarding.{ACT_ON_CASE}")

    @admin.action(description=_("Retry failed steps"), permissions=["act_on"])
    def retry_failed_steps(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = case_actions.ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" not in request.POST or not form.is_valid():
            return TemplateResponse(
                request,
                "admin/offboarding/casestep/retry_form.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Retry failed steps"),
                    "steps": list(queryset.select_related("case")[:200]),
                    "selected": queryset.values_list("pk", flat=True),
                    "form": form,
                },
            )

        failed = list(queryset.filter(status=CaseStep.Status.FAILED).select_related("case"))
        for step in failed:
            retry_failed_step(step, user=request.user, reason=form.cleaned_data["reason"])
        self.message_user(
            request,
            _("%(count)d failed step(s) queued again.") % {"count": len(failed)},
            messages.SUCCESS,
        )
        return None


def retry_failed_step(step: CaseStep, *, user: Any, reason: str) -> None:
    """Queue a failed step again and audit it; clear the case's flag unless another failed."""
    steps.retry_step(step)
    others_failed = (
        CaseStep.objects.filter(case_id=step.case_id, status=CaseStep.Status.FAILED)
        .exclude(pk=step.pk)
        .exists()
    )
    flags = {} if others_failed else {"needs_attention": False, "attention_reason": ""}
    step.case.record(
        "step_retried",
        actor=Actor.staff(user),
        reason=reason,
        data={"moment": step.moment, "handler": step.handler},
        **flags,
    )
    # The step is due at once; the next due-work scan (or a worker of the case) runs it.
