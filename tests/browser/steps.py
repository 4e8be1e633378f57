"""Page steps shared by the browser journeys (the same clicks on the live test server and on
the production stack)."""

from __future__ import annotations


def pick_code(page, field: str, typed: str, code: str) -> None:
    """Type into a code field of the intake form and choose ``code`` from its list."""
    page.fill(f"#id_{field}", typed)
    page.wait_for_selector(f'#list-{field} li[data-code="{code}"]')
    page.click(f'#list-{field} li[data-code="{code}"]')
    assert page.input_value(f"#id_{field}") == code


def act(pg, case_id: int, action: str, fields: dict[str, str] | None = None, selects: dict[str, str] | None = None):
    """Open the workflow case page and submit one action box (fields and selects by name)."""
    pg.goto(f"{pg.base_url}/workflow/case/{case_id}/")
    box = pg.locator(f'details.wf-action[data-action="{action}"]')
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for name, value in (fields or {}).items():
        box.locator(f'[name="{action}-{name}"]').fill(value)
    for name, value in (selects or {}).items():
        box.locator(f'select[name="{action}-{name}"]').select_option(value)
    with pg.expect_navigation():
        box.locator("button[type=submit]").first.click()
    assert pg.locator(".msg-error").count() == 0, pg.locator(".msg-error").all_inner_texts()
