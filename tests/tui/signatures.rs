//! Signatures in the workbench: the Review view shows `✓ signed`, `✗ unsigned` and
//! `✗ bad signature` (with its reason) beside each decision, readable without colour; and a
//! decision signed from a passphrase-protected key file (made by OpenSSH's `ssh-keygen`) asks
//! for the passphrase in a masked popup, says a wrong one in the status line, and with the right
//! one records the decision, signed and verified.

use std::path::Path;
use std::process::Command;

use galley::domain::people::Role;
use galley::domain::policy::{DecisionKind, SignatureCheck};
use galley::signer::KeySource;
use galley::tui::app::{Focus, View};
use galley::tui::components::popup::Popup;
use galley::workspace::{PolicyChange, Workspace};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ssh_key::{Algorithm, HashAlg, PrivateKey};

use crate::harness::Harness;

const P: &str = "support/router";

fn new_key() -> PrivateKey {
    PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519).unwrap()
}

fn public_line(key: &PrivateKey) -> String {
    key.public_key().to_openssh().unwrap()
}

/// ada (admin, her key the trust root) adds alice (author) and the reviewers; alice writes v1
/// and asks for its review for `env`.
fn setup(path: &Path, ada_key: &PrivateKey, reviewers: &[&str], env: &str) -> i64 {
    let mut ada = Workspace::open(path, "ada").unwrap();
    ada.add_user("ada", Role::Admin, &[]).unwrap();
    ada.add_user("alice", Role::Author, &[]).unwrap();
    for r in reviewers {
        ada.add_user(r, Role::Reviewer, &[]).unwrap();
    }
    ada.set_signer(KeySource::in_memory(ada_key.clone()));
    ada.add_user_key("ada", &public_line(ada_key)).unwrap();
    let mut alice = Workspace::open(path, "alice").unwrap();
    let name = Harness::name(P);
    alice
        .create_from_starter(&name, "classifier", &[], None)
        .unwrap();
    let names: Vec<String> = reviewers.iter().map(|r| r.to_string()).collect();
    alice
        .request_review(&name, 1, env, &names, "")
        .unwrap()
        .review
        .id
}

fn status(h: &Harness) -> String {
    h.app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Opens the (only) review in the Review view.
fn open_review(h: &mut Harness) {
    h.press("5");
    assert_eq!(h.app.view, View::Review);
    h.enter();
    assert_eq!(h.app.focus, Focus::ReviewDiff);
}

#[test]
fn the_review_view_shows_each_decisions_signature() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    let ada_key = new_key();
    let review = setup(&path, &ada_key, &["bob", "carol", "dave"], "staging");
    let (bob_key, dave_key) = (new_key(), new_key());
    let mut ada = Workspace::open(&path, "ada").unwrap();
    ada.set_signer(KeySource::in_memory(ada_key.clone()));
    ada.add_user_key("bob", &public_line(&bob_key)).unwrap();
    ada.add_user_key("dave", &public_line(&dave_key)).unwrap();

    // bob signs with his key; carol has none; dave signs, then ada revokes his key.
    let mut bob = Workspace::open(&path, "bob").unwrap();
    bob.set_signer(KeySource::in_memory(bob_key));
    bob.decide(review, DecisionKind::Approve, "routes well")
        .unwrap();
    let mut carol = Workspace::open(&path, "carol").unwrap();
    carol
        .decide(review, DecisionKind::RequestChanges, "name the queues")
        .unwrap();
    let mut dave = Workspace::open(&path, "dave").unwrap();
    dave.set_signer(KeySource::in_memory(dave_key.clone()));
    dave.decide(review, DecisionKind::Reject, "too eager")
        .unwrap();
    let dave_fp = dave_key
        .public_key()
        .fingerprint(HashAlg::Sha256)
        .to_string();
    ada.revoke_user_key("dave", &dave_fp).unwrap();

    let mut h = Harness::open_as(&path, "ada");
    open_review(&mut h);
    let screen = crate::screen::draw(&mut h, 160, 48);
    for decision in [
        "✓ bob approved ✓ signed: routes well",
        "↺ carol asked for changes ✗ unsigned: name the queues",
        "✗ dave rejected ✗ bad signature (signed by a revoked key",
    ] {
        assert!(screen.contains(decision), "{decision} missing in\n{screen}");
    }
    // The bad one's reason names the revoked key (it may wrap).
    let unwrapped: String = screen
        .lines()
        .map(|l| l.trim_matches(['"', '│', ' ']))
        .collect();
    assert!(unwrapped.contains(&dave_fp), "{screen}");

    // Short of room (80×24) every decision still carries its badge.
    let small = crate::screen::draw(&mut h, 80, 24);
    let flat: String = small
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" ");
    for badge in ["✓ signed", "✗ unsigned", "✗ bad signature"] {
        assert!(flat.contains(badge), "{badge} missing in\n{small}");
    }

    // In colour, good reads green and bad red; the words say the same without colour.
    h.app.theme.color = true;
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    for _ in 0..2 {
        terminal
            .draw(|frame| galley::tui::view::draw(&mut h.app, frame))
            .unwrap();
    }
    let buffer = terminal.backend().buffer().clone();
    let style_of = |needle: &str| {
        for y in 0..buffer.area.height {
            let row: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            if let Some(at) = row.find(needle) {
                let x = row[..at].chars().count() as u16;
                return buffer[(x, y)].style();
            }
        }
        panic!("{needle} not drawn");
    };
    assert_eq!(style_of("✓ signed").fg, Some(Color::Green));
    assert_eq!(style_of("✗ bad signature").fg, Some(Color::Red));
    // Signatures are not required on staging: an unsigned decision is dim, not an error.
    let unsigned = style_of("✗ unsigned");
    assert_ne!(unsigned.fg, Some(Color::Red));
    assert!(!unsigned.add_modifier.contains(Modifier::BOLD));
}

/// Writes an ed25519 key protected by `passphrase` with OpenSSH's `ssh-keygen`.
fn ssh_keygen(dir: &Path, passphrase: &str) -> std::path::PathBuf {
    let key = dir.join("bob_key");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "bob", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    key
}

fn popup_title(h: &Harness) -> Option<String> {
    match &h.app.popup {
        Some(Popup::Input { title, .. }) => Some(title.clone()),
        _ => None,
    }
}

#[test]
fn a_locked_key_asks_for_its_passphrase_in_a_masked_popup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    let ada_key = new_key();
    let review = setup(&path, &ada_key, &["bob"], "production");
    let key = ssh_keygen(dir.path(), "secret");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let mut ada = Workspace::open(&path, "ada").unwrap();
    ada.set_signer(KeySource::in_memory(ada_key));
    ada.add_user_key("bob", &public).unwrap();
    let change = PolicyChange {
        require_signatures: Some(true),
        ..PolicyChange::default()
    };
    ada.set_policy("production", &change).unwrap();

    // bob's workbench signs from the key file, with no terminal prompt.
    let mut h = Harness::open_as(&path, "bob");
    h.ws.set_signer(KeySource::new(Some(key.clone()), None));
    open_review(&mut h);
    h.press("a");
    h.press("ship it");
    h.enter();
    let wanted = format!("Passphrase for {}", key.display());
    assert_eq!(popup_title(&h).as_deref(), Some(wanted.as_str()));
    assert!(
        h.ws.review_detail(review)
            .unwrap()
            .info
            .decisions
            .is_empty()
    );

    // What is typed shows as •, never as itself.
    h.press("hunter7");
    let screen = crate::screen::draw(&mut h, 160, 48);
    assert!(screen.contains(&wanted), "{screen}");
    assert!(screen.contains("│ ••••••• "), "{screen}");
    assert!(!screen.contains("hunter7"), "{screen}");

    // A wrong passphrase: one line in the status bar, nothing recorded.
    h.enter();
    assert!(h.app.popup.is_none());
    let said = status(&h);
    assert_eq!(
        said,
        format!("wrong passphrase for the signing key {}", key.display())
    );
    assert!(h.app.status.as_ref().unwrap().error);
    assert!(
        h.ws.review_detail(review)
            .unwrap()
            .info
            .decisions
            .is_empty()
    );

    // Again, with the right one: the decision is recorded, signed with bob's key, and verifies.
    h.press("a");
    h.press("ship it");
    h.enter();
    assert_eq!(popup_title(&h).as_deref(), Some(wanted.as_str()));
    h.press("secret");
    h.enter();
    assert!(h.app.popup.is_none(), "{}", status(&h));
    assert!(
        status(&h).starts_with("Decision recorded"),
        "{}",
        status(&h)
    );
    let decisions = h.ws.review_detail(review).unwrap().info.decisions;
    assert_eq!(decisions.len(), 1);
    let d = &decisions[0];
    assert_eq!(d.decision.reviewer, "bob");
    assert_eq!(d.comment, "ship it");
    assert!(d.verified);
    assert_eq!(d.decision.check, SignatureCheck::Verified);
    let registered = public.split_whitespace().nth(1).unwrap().to_string();
    let listed = h.ws.user_keys(Some("bob")).unwrap().keys;
    assert!(listed[0].public_key.contains(&registered));
    assert_eq!(d.key.as_deref(), Some(listed[0].fingerprint.as_str()));
    // The Review view says so.
    let screen = crate::screen::draw(&mut h, 160, 48);
    assert!(
        screen.contains("✓ bob approved ✓ signed: ship it"),
        "{screen}"
    );

    // unlock-key (U) with the key already unlocked says it is ready; nothing is asked.
    h.press("U");
    assert!(h.app.popup.is_none());
    assert!(
        status(&h).starts_with("Signing key unlocked"),
        "{}",
        status(&h)
    );
}

#[test]
fn unlock_key_asks_for_the_passphrase_ahead_of_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    let ada_key = new_key();
    setup(&path, &ada_key, &["bob"], "production");
    let key = ssh_keygen(dir.path(), "secret");
    let mut h = Harness::open_as(&path, "bob");
    h.ws.set_signer(KeySource::new(Some(key.clone()), None));
    h.press("5");
    h.press("U");
    let wanted = format!("Passphrase for {}", key.display());
    assert_eq!(popup_title(&h).as_deref(), Some(wanted.as_str()));
    h.press("secret");
    h.enter();
    assert!(h.app.popup.is_none());
    assert!(
        status(&h).starts_with("Signing key unlocked"),
        "{}",
        status(&h)
    );

    // Without any key configured, the same key says so in one line.
    let mut none = Harness::open_as(&path, "bob");
    none.press("5");
    none.press("U");
    assert!(none.app.popup.is_none());
    assert!(
        status(&none).starts_with("no signing key"),
        "{}",
        status(&none)
    );
}
