"""lifecycle.py, the pure rule planner: idempotent whatever extra fields a
server echoes, foreign rules untouched, stale rules of ours kept."""
from swiftrotate import lifecycle as L


def test_a_rule_echoed_with_extra_fields_is_the_same_rule():
    ours = L.rule("prod/", 30)
    echoed = dict(ours, Expiration={"Days": 30, "ExpiredObjectDeleteMarker": False})
    assert not L.plan([echoed], "prod/", {30}).needed
    bare = L.rule("", 7)
    echoed = dict(bare, Filter={"Prefix": "", "Tag": bare["Filter"]["Tag"]})
    assert not L.plan([echoed], "", {7}).needed


def test_a_changed_rule_is_replaced_and_others_stay_in_order():
    foreign = {"ID": "ops", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
    stale = L.rule("prod/", 90)
    edited = dict(L.rule("prod/", 30), Status="Disabled")
    plan = L.plan([foreign, stale, edited], "prod/", {30, 7})
    assert plan.needed and plan.foreign == [foreign] and plan.kept == [stale]
    assert plan.changed == [(edited, L.rule("prod/", 30))]
    assert plan.rules == [foreign, stale, L.rule("prod/", 30), L.rule("prod/", 7)]


def test_other_prefixes_rules_are_not_ours():
    other = L.rule("staging/", 30)
    plan = L.plan([other], "prod/", {30})
    assert plan.foreign == [other] and plan.added == [L.rule("prod/", 30)]


def test_tag_days_round_up_and_long_prefixes_keep_ids_short():
    assert L.days_of(86400) == 1 and L.days_of(86401) == 2
    assert L.tagging(30) == "swiftrotate-expire-days=30"
    assert len(L.rule("p" * 400 + "/", 3650)["ID"]) <= 255
