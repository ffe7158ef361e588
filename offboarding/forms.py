"""Forms of the customer portal: every input is checked here before a workflow runs."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from offboarding.conf import app_settings
from offboarding.models.portal import COMMENT_MAX_LENGTH, SurveyQuestion, SurveyReason

END_OF_PERIOD = "end_of_period"
IMMEDIATELY = "immediately"


def reason_choices() -> list[tuple[str, str]]:
    reasons = SurveyReason.objects.filter(active=True).order_by("order", "pk")
    return [(reason.code, reason.display_label) for reason in reasons]


class CancelForm(forms.Form):
    """The final cancel step: the kind of termination, and an optional reason first."""

    when = forms.ChoiceField(
        label=_("When should the subscription end?"),
        widget=forms.RadioSelect,
        initial=END_OF_PERIOD,
    )
    reason = forms.ChoiceField(
        label=_("Why are you leaving? (optional)"),
        help_text=_("Only used to show an offer that fits; you can skip it."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        period_end_label: str = "",
        ask_reason: bool = False,
        reasons: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (
                END_OF_PERIOD,
                _("At the end of the paid period (%(date)s)")
                % {
                    "date": period_end_label,
                }
                if period_end_label
                else _("At the end of the paid period"),
            )
        ]
        if app_settings.ALLOW_IMMEDIATE_CANCEL:
            choices.append((IMMEDIATELY, _("Immediately, with a refund of the unused time")))
        cast(forms.ChoiceField, self.fields["when"]).choices = choices
        if ask_reason:
            reason_field = cast(forms.ChoiceField, self.fields["reason"])
            reason_field.choices = [("", _("Prefer not to say")), *(reasons or [])]
        else:
            del self.fields["reason"]

    @property
    def immediately(self) -> bool:
        return self.cleaned_data["when"] == IMMEDIATELY


class ContinueCancellingForm(forms.Form):
    """The one-click way past the offers; it carries the termination chosen before."""

    when = forms.ChoiceField(choices=[(END_OF_PERIOD, END_OF_PERIOD), (IMMEDIATELY, IMMEDIATELY)])

    def clean_when(self) -> str:
        when = self.cleaned_data["when"]
        if when == IMMEDIATELY and not app_settings.ALLOW_IMMEDIATE_CANCEL:
            raise forms.ValidationError(_("Immediate cancellation is not offered."))
        return when


class AcceptOfferForm(forms.Form):
    """Accepting one offer: its id and, for a pause or a downgrade, the option picked."""

    offer = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    days = forms.IntegerField(required=False, min_value=1, max_value=366)
    plan = forms.SlugField(required=False, max_length=64)


class SurveyForm(forms.Form):
    """The exit survey; every field is optional and skipping it is one button."""

    reason = forms.ChoiceField(
        label=_("What is the main reason you are leaving?"),
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything else you would like us to know?"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        help_text=_("0 means not at all likely, 10 means extremely likely."),
        choices=[("", _("No answer"))] + [(str(score), str(score)) for score in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        reasons: list[tuple[str, str]] | None = None,
        questions: list[SurveyQuestion] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        reason_field = cast(forms.ChoiceField, self.fields["reason"])
        reason_field.choices = reasons if reasons is not None else reason_choices()
        self.questions = questions or []
        for question in self.questions:
            self.fields[self.question_field(question)] = self._question_field(question)

    @staticmethod
    def question_field(question: SurveyQuestion) -> str:
        return f"question_{question.pk}"

    @staticmethod
    def _question_field(question: SurveyQuestion) -> forms.Field:
        if question.kind == SurveyQuestion.Kind.CHOICE:
            options = question.choice_options()
            return forms.ChoiceField(
                label=question.text,
                required=False,
                widget=forms.RadioSelect,
                choices=[(option, option) for option in options],
            )
        return forms.CharField(label=question.text, required=False, max_length=2000)

    def answers(self) -> dict[str, str]:
        """Return the extra questions' answers by question id, leaving out blanks."""
        answers = {}
        for question in self.questions:
            value = self.cleaned_data.get(self.question_field(question))
            if value:
                answers[str(question.pk)] = value
        return answers


class ConfirmForm(forms.Form):
    """A confirm step whose only input is a checkbox that the customer ticks."""

    confirm = forms.BooleanField(label=_("Yes, I understand"), required=True)

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["confirm"].label = label
