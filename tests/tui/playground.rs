//! Key-sequence scenarios of the playground: run the draft and a version on the sample values,
//! stream the answers in (echo offline, and a real OpenAI-compatible stream from the stub
//! model), and save the input as a test case.

#[path = "../support/stub_model.rs"]
mod stub_model;

use galley::domain::eval::{ProviderConfig, ProviderKind};
use galley::tui::app::{Focus, View};
use galley::tui::components::playground::AnswerState;
use galley::tui::event::Reply;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use serde_json::json;

use crate::harness::Harness;

/// The demo loaded and support/triage open on its Sections pane.
pub fn triage() -> Harness {
    let mut h = Harness::new();
    h.press("d");
    h.open_prompt("support/triage");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(h.app.focus, Focus::Sections);
    h
}

fn deltas(h: &Harness, id: u64) -> Vec<String> {
    h.streamed
        .iter()
        .filter(|(i, _)| *i == id)
        .filter_map(|(_, r)| match r {
            Reply::PlaygroundDelta(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn palette(h: &mut Harness, action: &str) {
    h.press(":");
    h.press(action);
    h.enter();
}

#[test]
fn run_the_draft_and_the_latest_version_with_echo() {
    let mut h = triage();
    // Edit the draft so the two sides differ.
    h.enter();
    h.press("ZEBRA ");
    h.esc();
    h.press("p");
    let pg = &h.app.playground;
    assert!(pg.visible);
    assert_eq!(h.app.view, View::Edit);
    let draft = &pg.draft;
    let AnswerState::Done(answer) = &draft.state else {
        panic!("the answer arrived: {:?}", draft.state);
    };
    assert_eq!(answer.provider, "echo", "only echo is configured");
    assert!(
        draft.text.starts_with("## Role\n\nZEBRA You are"),
        "{}",
        draft.text
    );
    assert!(
        draft.text.contains("Charged the wrong card"),
        "the sample values"
    );
    assert_eq!(answer.cost_usd, Some(0.0));
    assert!(answer.input_tokens > 0 && answer.output_tokens > 0);
    let streamed = deltas(&h, draft.request.unwrap());
    assert_eq!(
        streamed.concat(),
        draft.text,
        "the answer streamed in as deltas"
    );

    // P runs the latest committed version on the same input beside it.
    h.press("P");
    let version = &h.app.playground.version;
    assert_eq!(version.label, "v4 (latest)");
    assert!(matches!(version.state, AnswerState::Done(_)));
    assert!(!version.text.contains("ZEBRA"));
    assert!(version.text.contains("Charged the wrong card"));

    // In History, a marked version is the one P runs (rows: draft, v4, v3, …).
    h.press("2");
    h.press("jj");
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.press("P");
    assert_eq!(h.app.view, View::Edit, "P shows the playground");
    assert_eq!(h.app.playground.version.label, "v3");
}

#[test]
fn save_the_playground_input_as_a_case() {
    let mut h = triage();
    h.press("p");
    let answer = h.app.playground.draft.text.clone();
    // Into a new dataset, with the answer as the expected output.
    palette(&mut h, "playground-save-case");
    h.press("jj"); // agent-smoke, triage-golden, + new
    h.enter();
    h.press("playground/triage");
    h.enter();
    h.enter(); // "yes": the draft's answer is the expected output
    let dataset = h.ws.dataset("playground/triage", None).unwrap();
    assert_eq!(dataset.cases.len(), 1);
    let case = &dataset.cases[0];
    assert_eq!(case.expected.as_deref(), Some(answer.as_str()));
    assert_eq!(
        case.vars.get("subject"),
        Some(&json!("Charged the wrong card"))
    );
    assert!(case.vars.contains_key("ticket"));
    assert_eq!(case.tags, ["playground"]);
    assert!(
        h.app
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("playground/triage")
    );

    // Into an existing dataset, variables only.
    let before = h.ws.dataset("triage-golden", None).unwrap().cases.len();
    palette(&mut h, "playground-save-case");
    h.press("jj"); // agent-smoke, playground/triage, triage-golden
    h.enter();
    h.press("j"); // "no"
    h.enter();
    let golden = h.ws.dataset("triage-golden", None).unwrap();
    assert_eq!(golden.cases.len(), before + 1);
    assert_eq!(golden.cases.last().unwrap().expected, None);
}

#[test]
fn a_configured_model_is_the_default_and_streams_word_by_word() {
    let stub = stub_model::BlockingStubModel::start(stub_model::StubConfig::answering(|_| {
        "billing because the customer was charged twice".into()
    }));
    let mut h = triage();
    let mut config = ProviderConfig::new("local", ProviderKind::Openai);
    config.base_url = Some(stub.base_url());
    config.model = Some("gpt-4o-mini".into());
    h.ws.add_provider(config, false).unwrap();
    h.ctrl('r'); // reload: the catalog now lists it

    h.press("p");
    let draft = &h.app.playground.draft;
    let AnswerState::Done(answer) = &draft.state else {
        panic!("the answer arrived: {:?}", draft.state);
    };
    assert_eq!(
        answer.provider, "local",
        "the first configured non-echo provider"
    );
    assert_eq!(draft.text, "billing because the customer was charged twice");
    let pieces = deltas(&h, draft.request.unwrap());
    assert_eq!(
        pieces.len(),
        7,
        "one server-sent event per word: {pieces:?}"
    );
    assert!(answer.cost_usd.unwrap() > 0.0, "gpt-4o-mini has a price");
    assert_eq!(stub.request_count(), 1);

    // o picks another provider: echo.
    palette(&mut h, "playground-provider");
    let rows: Vec<String> = (h.app.catalog.as_ref().unwrap().providers.iter())
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(
        rows,
        ["echo", "local"],
        "the choice starts on the current one, local"
    );
    h.press("k");
    h.enter();
    h.press("p");
    assert_eq!(h.app.playground.draft.provider, "echo");
    assert_eq!(stub.request_count(), 1);
}

#[test]
fn closing_the_playground_brings_the_preview_back() {
    let mut h = triage();
    h.key(KeyCode::F(5), KeyModifiers::NONE);
    assert!(h.app.playground.visible);
    palette(&mut h, "playground-close");
    assert!(!h.app.playground.visible);
}
