from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockState(models.Model):
    """The single row behind the database clock: a frozen instant or an offset."""

    SINGLETON_ID = 1

    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    offset = models.DurationField(_("offset"), default=timedelta(0))

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clock")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="offboarding_clockstate_singleton"
            ),
        ]

    def __str__(self) -> str:
        if self.frozen_at is not None:
            return f"frozen at {self.frozen_at.isoformat()}"
        return f"wall clock + {self.offset}"
