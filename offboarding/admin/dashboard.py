"""The KPI dashboard: an admin page with a date range, one panel per KPI.

Figures come from :mod:`offboarding.kpis` (aggregates in the database, a constant number
of queries per panel); charts are inline SVG from :mod:`offboarding.admin.charts`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import View

from offboarding import clock, kpis
from offboarding.admin import charts
from offboarding.conf import app_settings
from offboarding.models.portal import SaveOffer, SurveyResponse

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 90
# Maximum range the page accepts, in days: weekly charts beyond it stop being readable.
MAX_RANGE_DAYS = 3 * 366


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    _("Choose a range of at most %(days)d days.") % {"days": MAX_RANGE_DAYS}
                )
        return cleaned


def default_dates(today: date) -> dict[str, date]:
    return {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today}


@dataclass
class Panel:
    """One KPI: its headline, the figures beside the chart, the chart and a note."""

    key: str
    title: Any
    headline: str
    figures: list[tuple[Any, Any]] = field(default_factory=list)
    chart: charts.Chart | None = None
    note: Any = ""


def _percent_text(value: Any) -> str:
    return "–" if value is None else f"{value} %"


def nps_panel(period: kpis.Period) -> Panel:
    result = kpis.nps(period)
    chart = charts.stacked(
        str(_("NPS answers")),
        [
            (str(_("promoters (9-10)")), result.promoters, "good"),
            (str(_("passives (7-8)")), result.passives, "neutral"),
            (str(_("detractors (0-6)")), result.detractors, "bad"),
        ],
        empty_text=_("No NPS answer in this period."),
    )
    return Panel(
        "nps",
        _("Offboarding NPS"),
        "–" if result.score is None else str(result.score),
        figures=[
            (_("answers"), result.answers),
            (_("promoters"), result.promoters),
            (_("passives"), result.passives),
            (_("detractors"), result.detractors),
        ],
        chart=chart,
        note=_(
            "Promoters minus detractors, in percent of the answers given in the period, "
            "rounded half away from zero to a whole number."
        ),
    )


def reasons_panel(period: kpis.Period) -> Panel:
    rows = kpis.reasons(period)
    total = sum(row.count for row in rows)
    chart = charts.horizontal_bars(
        str(_("Reasons")),
        [
            (row.label, row.count, f"{row.count} ({kpis.percent(row.count, total)} %)")
            for row in rows
        ],
        empty_text=_("No reason given in this period."),
    )
    return Panel(
        "reasons",
        _("Reasons for leaving"),
        str(total),
        figures=[(_("surveys with a reason"), total), (_("distinct reasons"), len(rows))],
        chart=chart,
        note=_("Reasons chosen in exit surveys answered in the period."),
    )


def winback_panel(period: kpis.Period) -> Panel:
    result = kpis.winback_rate(period)
    chart = charts.stacked(
        str(_("Win-back")),
        [
            (str(_("won back")), result.part, "good"),
            (str(_("not won back")), result.whole - result.part, "neutral"),
        ],
        empty_text=_("No case ended in this period."),
    )
    return Panel(
        "winback",
        _("Win-back rate"),
        _percent_text(result.percent),
        figures=[(_("cases ended"), result.whole), (_("reactivated in the window"), result.part)],
        chart=chart,
        note=_(
            "Reactivated within %(days)s days of the boundary, over the cases whose "
            "boundary falls in the period."
        )
        % {"days": app_settings.WINBACK_WINDOW_DAYS},
    )


def save_rate_panel(period: kpis.Period) -> Panel:
    result = kpis.save_rate(period)
    kind_labels = dict(SaveOffer.Kind.choices)
    chart = charts.horizontal_bars(
        str(_("Offers accepted")),
        [(str(kind_labels.get(kind, kind)), count, str(count)) for kind, count in result.by_offer],
        empty_text=_("No offer accepted in this period."),
    )
    return Panel(
        "save",
        _("Save rate"),
        _percent_text(result.percent),
        figures=[(_("flows started"), result.flows), (_("saved by an offer"), result.saved)],
        chart=chart,
        note=_("Cases requested in the period that accepted an offer, over all cases requested."),
    )


def cancellations_panel(period: kpis.Period) -> Panel:
    weeks = kpis.cancellations_per_week(period)
    total = sum(count for _, count in weeks)
    chart = charts.columns(
        str(_("Cancellations per week")),
        [(date_format(monday, "M j"), count) for monday, count in weeks],
        empty_text=_("No cancellation confirmed in this period."),
    )
    busiest = max(weeks, key=lambda week: week[1]) if total else None
    figures: list[tuple[Any, Any]] = [
        (_("cancellations confirmed"), total),
        (_("weeks"), len(weeks)),
    ]
    if busiest:
        figures.append((_("busiest week"), f"{date_format(busiest[0])}: {busiest[1]}"))
    return Panel(
        "cancellations",
        _("Cancellations per week"),
        str(total),
        figures=figures,
        chart=chart,
        note=_("Weeks start on Monday (UTC)."),
    )


def format_duration(value: timedelta | None) -> str:
    """Return a duration as hours and minutes (``"26 h 05 min"``), seconds under a minute
    (``"40 s"``, so short exports do not all read "0 min"), or a dash for none."""
    if value is None:
        return "–"
    if value.total_seconds() < 59.5:
        return f"{round(value.total_seconds())} s"
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def export_panel(period: kpis.Period) -> Panel:
    result = kpis.time_to_export(period)
    items = [
        (str(_("ready, median")), result.to_ready.median),
        (str(_("ready, 90th percentile")), result.to_ready.p90),
        (str(_("downloaded, median")), result.to_first_download.median),
        (str(_("downloaded, 90th percentile")), result.to_first_download.p90),
    ]
    chart = charts.horizontal_bars(
        str(_("Time to export")),
        [
            (label, value.total_seconds(), format_duration(value))
            for label, value in items
            if value is not None
        ],
        empty_text=_("No export requested in this period."),
    )
    return Panel(
        "exports",
        _("Time to export"),
        format_duration(result.to_ready.median),
        figures=[
            (_("exports requested"), result.requested),
            (_("ready"), result.to_ready.count),
            (_("downloaded"), result.to_first_download.count),
            *[(label, format_duration(value)) for label, value in items],
        ],
        chart=chart,
        note=_("From the request to the archive being ready, and to its first download."),
    )


def deletions_panel(period: kpis.Period) -> Panel:
    result = kpis.deletions_on_schedule(period)
    chart = charts.stacked(
        str(_("Deletions")),
        [
            (str(_("on the scheduled day")), result.on_day, "good"),
            (str(_("late")), result.late, "bad"),
            (str(_("early")), result.early, "neutral"),
        ],
        empty_text=_("No account purged in this period."),
    )
    return Panel(
        "deletions",
        _("Deletions on the scheduled day"),
        _percent_text(result.percent),
        figures=[
            (_("accounts purged"), result.purged),
            (_("on the day"), result.on_day),
            (_("late"), result.late),
            (_("early"), result.early),
        ],
        chart=chart,
        note=_("The UTC day of the purge compared with the day the retention window ended."),
    )


PANELS = [
    nps_panel,
    winback_panel,
    save_rate_panel,
    cancellations_panel,
    reasons_panel,
    export_panel,
    deletions_panel,
]


class DashboardView(View):
    model_admin: Any = None

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        today = clock.now().date()
        form = PeriodForm(request.GET or None, initial=default_dates(today))
        dates = default_dates(today)
        if form.is_bound:
            if form.is_valid():
                dates = {"start": form.cleaned_data["start"], "end": form.cleaned_data["end"]}
            else:
                logger.warning("Dashboard: invalid period rejected")
        period = kpis.Period.from_dates(dates["start"], dates["end"])

        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Offboarding KPIs"),
            "form": form,
            "start": dates["start"],
            "end": dates["end"],
            "panels": [build(period) for build in PANELS],
            "survey_csv_query": urlencode(
                {"start": dates["start"].isoformat(), "end": dates["end"].isoformat()}
            ),
            "can_download_survey": request.user.has_perm("offboarding.view_surveyresponse"),
        }
        return TemplateResponse(request, "admin/offboarding/dashboard.html", context)


class Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


SURVEY_CSV_HEADER = [
    "case",
    "account_key",
    "account_label",
    "answered_at",
    "skipped",
    "reason_code",
    "nps",
    "comment",
    "answers",
]


class SurveyAnswersCsvView(View):
    """Stream the exit survey answers of a period as CSV, in constant memory."""

    model_admin: Any = None

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not (
            self.model_admin.has_view_permission(request)
            and request.user.has_perm("offboarding.view_surveyresponse")
        ):
            raise PermissionDenied
        form = PeriodForm(request.GET)
        if not form.is_valid():
            logger.warning("Survey CSV: invalid period rejected")
            return HttpResponseBadRequest(
                _("Invalid period: give start and end as YYYY-MM-DD, start before end.")
            )
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        period = kpis.Period.from_dates(start, end)
        rows = (
            SurveyResponse.objects.filter(period.q("answered_at"))
            .order_by("answered_at", "pk")
            .values_list(
                "case__public_id",
                "case__account_key",
                "case__account_label",
                "answered_at",
                "skipped",
                "reason_code",
                "nps",
                "comment",
                "answers",
            )
        )
        writer = csv.writer(Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(SURVEY_CSV_HEADER)
            for row in rows.iterator(chunk_size=2000):
                *fields, answers = row
                fields[3] = row[3].isoformat()
                yield writer.writerow(
                    [spreadsheet_safe(value) for value in fields]
                    + [json.dumps(answers, ensure_ascii=False, sort_keys=True)]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="survey-answers-{start.isoformat()}-{end.isoformat()}.csv"'
        )
        logger.info(
            "Survey CSV streamed for %s to %s by staff user %s", start, end, request.user.pk
        )
        return response
