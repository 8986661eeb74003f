"""Accuracy on the sample pack's evaluation set with the real model, pack and database.

The sample pack's thresholds were once tuned on this very set (95 %: tuning, not quality). Answerability is
now fitted on the five venue packs in tests/eval/packs, so this set is held out: measured 42/45 covered,
21/25 uncovered passed on. The floors are a ratchet below those figures, not the targets of issue 13."""

import pytest

from evaluate import evaluate

pytestmark = pytest.mark.model


def test_eval_set_accuracy(real_kiosk):
    report = evaluate(real_kiosk.ask)
    print(f"\ncovered {report.covered_ok}/{report.covered_total} = {report.covered_accuracy:.1%} "
          f"(within one choice {report.covered_within}), "
          f"uncovered escalated {report.uncovered_ok}/{report.uncovered_total} = "
          f"{report.uncovered_accuracy:.1%}, routes {report.sources}")
    for f in report.failures:
        print("  ", f)
    # The answer judge decides by default (issue 22): where it is unsure it offers "did you mean ...?" rather than
    # answering, so fewer covered questions are right first time and none is answered wrongly. Measured
    # 2026-12-06: 27/45 right first time, 45/45 within one choice, 25/25 uncovered never stated as fact.
    assert report.covered_accuracy >= 0.55, report.failures
    assert report.covered_within >= 0.95 * report.covered_total, report.failures
    assert report.uncovered_accuracy >= 0.9, report.failures


def test_every_answer_is_metered_and_escalations_are_in_the_outbox(real_kiosk):
    before = real_kiosk.store.outbox_counts()
    a = real_kiosk.ask("Who carved the figurehead in the main hall?")
    after = real_kiosk.store.outbox_counts()
    assert a.escalated
    assert after["meters"]["pending"] == before["meters"]["pending"] + 1
    assert after["escalations"]["pending"] == before["escalations"]["pending"] + 1


def test_session_reset_wipes_the_transcript(real_kiosk):
    sid = real_kiosk.session_id
    real_kiosk.ask("Where are the toilets?")
    assert real_kiosk.store.session_turns(sid)
    real_kiosk.reset_session()
    assert real_kiosk.store.session_turns(sid) == [] and real_kiosk.session_id != sid


def test_streamed_tokens_match_the_final_answer(real_kiosk):
    from fakes import RecordingSink

    for q in ["Can my 4 year old climb the tower?", "Do you have tours in German?", "What time do you close?"]:
        sink = RecordingSink()
        a = real_kiosk.ask(q, sink)
        assert sink.shown.strip() == a.answer.strip()
