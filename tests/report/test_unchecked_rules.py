"""A rule the log cannot apply is not a rule that found nothing: the report says which."""

from __future__ import annotations

import pyarrow as pa

import viewaudit as va


def _log(**extra: list[object]) -> pa.Table:
    return pa.table({"item_id": [1, 1, 2], "viewer_id": [1, 2, 3], **extra})


def test_a_log_without_bot_columns_says_its_rules_were_not_checked() -> None:
    """No is_bot, user_agent or author_id: the three rules are named, in the assumptions and the
    HTML's rows table, instead of three zeros that read as a clean log."""
    audit = va.audit(_log())
    assert dict(audit.unchecked) == {
        "is_bot": "no is_bot column",
        "user_agent": "no user_agent column",
        "self_view": "no author_id column",
    }
    stated = [a.text for a in audit.assumption_details if a.name == "unchecked rules"]
    assert len(stated) == 1
    assert stated[0].startswith("Invalid traffic not checked for: is_bot (no is_bot column); user_agent")
    page = audit.to_html()
    assert "not checked (no is_bot column)" in page
    assert "not checked (no author_id column)" in page


def test_rules_the_log_can_apply_are_counted_as_before() -> None:
    """With the columns, even when nothing matches, the counts stand and nothing is said."""
    audit = va.audit(_log(is_bot=[False, False, True], user_agent=["a", "b", "c"], author_id=[9, 9, 9]))
    assert not audit.unchecked
    assert not [a for a in audit.assumption_details if a.name == "unchecked rules"]
    assert audit.excluded["is_bot"] == 1


def test_a_policy_without_the_rule_does_not_name_it() -> None:
    """A policy that ignores the bot flag does not miss the is_bot column."""
    policy = va.Policy(name="no-flag", use_bot_flag=False, bot_user_agents=(), exclude_self_views=False)
    assert not va.audit(_log(), policy=policy).unchecked


def _overlapping() -> va.Audit:
    """Two rows fail both is_bot and user_agent, one fails only is_bot: 3 rows, 5 failures."""
    return va.audit(_log(is_bot=[True, True, True], user_agent=["Googlebot", "Googlebot", "Mozilla"], author_id=[9, 9, 9]))


def test_the_exclusions_give_their_total_and_say_the_rules_overlap() -> None:
    """The rules' counts (3 + 2) exceed the rows excluded (3): the total is given, in the HTML's
    rows table and in the text report, with a line saying a row can fail several rules."""
    audit = _overlapping()
    assert (audit.excluded["is_bot"], audit.excluded["user_agent"], audit.excluded_rows) == (3, 2, 3)
    page = audit.to_html()
    assert "<td>not valid: total</td><td class=num>3</td>" in page
    assert "A row can fail several invalid-traffic rules, so the counts per rule need not add up to the total." in page
    text = str(audit).splitlines()
    assert text[2] == (
        "not valid (invalid traffic), 3 rows in all; by rule: is_bot 3, self_view 0, user_agent 2. "
        "A row can fail several rules, so these need not add up."
    )


def test_the_exclusions_line_says_when_no_rule_could_be_checked() -> None:
    """Without the rules' columns the text says no rule was checked, not a row of zeros."""
    assert "not valid (invalid traffic): no rule could be checked (see the assumptions)." in str(va.audit(_log())).splitlines()
