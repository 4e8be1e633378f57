"""The workflow's panels on the case page: the clock, what the user may do, the timeline.

The one case page (``complaints.views.case_page``, served at ``workflow:case``) renders
whatever ``panels_for`` returns, collected by ``complaints.panels.CASE_PANELS``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from complaints.panels import Panel
from complaints.states import state_label

from . import actions, permissions, recusal, selectors
from .models import Decision
from .reply_templates import templates_for_case
from .services import version_of
from .timeline import timeline_entries

STYLESHEET = "workflow/workflow.css"


class ActionView(NamedTuple):
    name: str
    label: Any
    style: str
    open: bool
    url: str
    form: Any
    error: str
    note: Any = None  # shown above the form (a returned draft's review: ``actions.note_for``)
    templates: tuple = ()  # reply templates offered for the decision text (``reply_templates``)


def action_views(request, complaint, *, bound: tuple[str, Any, str] | None = None) -> list[ActionView]:
    """The forms for every action the user may take now, in the order of the registry."""
    user = request.user
    version = version_of(complaint)
    here = request.get_full_path()
    views = []
    # The actions judged on the whole handling history share one read of it (the whole history
    # answers every rule, as in ``permissions.allowed_actions``), made only if one of them gets
    # that far; the others read what their rule needs.
    whole_history = SimpleLazyObject(lambda: permissions.case_parties(complaint))
    history_actions = recusal.INDEPENDENT_ACTIONS | recusal.AUTHOR_EXCLUDED_ACTIONS
    for name, spec in actions.SPECS.items():
        perm = actions.permission_action(name, complaint)
        parties = whole_history if perm in history_actions else None
        if perm is None or permissions.denial(user, complaint, perm, parties=parties) is not None:
            continue
        if bound and bound[0] == name:
            form, error = bound[1], bound[2]
        else:
            initial = {"version": version, "next": here, **actions.initial_for(name, complaint)}
            form, error = spec.form(initial=initial, prefix=name, **actions.form_kwargs(name, user)), ""
        url = reverse("workflow:act", args=[complaint.pk, name])
        label, style, is_open = actions.presentation(name, spec, complaint)
        note = actions.note_for(name, complaint)
        offered = tuple(templates_for_case(complaint)) if name == "draft_decision" else ()
        views.append(ActionView(name, label, style, is_open or bool(error), url, form, error, note, offered))
    views.sort(key=lambda v: actions.order_key(v.name, complaint))
    return views


def panels_for(request, complaint, *, now: datetime | None = None, bound=None, **_hints) -> list[Panel]:
    selectors.case_page_prefetch(complaint)
    clock = selectors.clock_for(complaint, now=now)
    decision = selectors.latest_decision(complaint)
    return [
        Panel(
            "workflow/panels/clock.html",
            {
                "wf_clock": clock,
                "wf_complaint": complaint,
                "wf_state_label": state_label(complaint.status),
                "wf_pending_extension": selectors.pending_extension(complaint),
                "wf_decision": decision,
                "wf_decision_review": Decision.Review,
            },
            10,
            stylesheet=STYLESHEET,
        ),
        Panel(
            "workflow/panels/actions.html",
            {"wf_actions": action_views(request, complaint, bound=bound), "wf_complaint": complaint},
            20,
            stylesheet=STYLESHEET,
        ),
        Panel(
            "workflow/panels/timeline.html",
            {"wf_entries": timeline_entries(complaint), "wf_complaint": complaint},
            90,
            stylesheet=STYLESHEET,
        ),
    ]
