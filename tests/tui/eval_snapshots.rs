//! Snapshots of the Evals view (runs, results, a case's detail), the run setup, a comparison
//! and the playground, at 80×24 and 160×48, without colour. Measured latencies are pinned to
//! 0 ms so the pictures stay the same from one machine to the next.

use galley::tui::components::playground::AnswerState;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::evals::triage_evals;
use crate::harness::Harness;
use crate::playground::triage;
use crate::screen::both_sizes;

fn pin_latencies(h: &mut Harness) {
    if let Some(report) = &mut h.app.evals.report {
        for r in &mut report.results {
            r.latency_ms = 0;
        }
    }
    for run in &mut h.app.evals.runs {
        run.summary.mean_latency_ms = 0.0;
    }
    if let Some(view) = &mut h.app.evals.comparison {
        view.comparison.before.summary.mean_latency_ms = 0.0;
        view.comparison.after.summary.mean_latency_ms = 0.0;
        view.comparison.latency_delta_ms = 0.0;
    }
    for side in [&mut h.app.playground.draft, &mut h.app.playground.version] {
        if let AnswerState::Done(answer) = &mut side.state {
            answer.latency_ms = 0;
        }
    }
}

fn screen(h: &mut Harness, width: u16, height: u16) -> String {
    pin_latencies(h);
    crate::screen::draw(h, width, height)
}

fn both_sizes(h: &mut Harness, name: &str) {
    both_sizes!(screen, h, name);
}

/// The Evals view on the demo run, the refund case (a failure) selected in the results.
fn on_a_failure() -> Harness {
    let mut h = triage_evals();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.press("jjjj");
    assert!(!h.app.evals.selected_result().unwrap().pass);
    h
}

#[test]
fn evals_view_runs_results_and_detail() {
    let mut h = on_a_failure();
    both_sizes(&mut h, "evals");
}

#[test]
fn evals_view_case_detail() {
    let mut h = on_a_failure();
    h.enter();
    both_sizes(&mut h, "eval_detail");
}

#[test]
fn evals_view_failures_only_sorted_by_score() {
    let mut h = on_a_failure();
    h.press("fss");
    both_sizes(&mut h, "eval_failures");
}

#[test]
fn eval_run_setup() {
    let mut h = triage_evals();
    h.press("r");
    both_sizes(&mut h, "eval_setup");
}

#[test]
fn eval_comparison_of_two_runs() {
    let mut h = triage_evals();
    h.press("r");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.press("j");
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.enter();
    h.app.status = None;
    h.press("c");
    both_sizes(&mut h, "eval_compare");
}

#[test]
fn playground_beside_the_editor() {
    let mut h = triage();
    h.enter();
    h.press("Be brief. ");
    h.esc();
    h.press("pP");
    h.app.status = None;
    both_sizes(&mut h, "playground");
}

#[test]
fn eval_run_in_progress() {
    use galley::tui::event::{Event, Reply};
    use galley::workspace::Progress;
    let mut h = triage_evals();
    h.press("r");
    h.hold(KeyCode::Enter, KeyModifiers::NONE);
    let id = h.app.evals.live.as_ref().unwrap().request;
    let progress = Progress {
        done: 3,
        total: 7,
        passed: 2,
        failed: 1,
        errors: 0,
    };
    let effects = h
        .app
        .update(Event::Reply(id, Reply::EvalProgress(progress)), h.now);
    assert!(effects.is_empty());
    both_sizes(&mut h, "eval_running");
}
