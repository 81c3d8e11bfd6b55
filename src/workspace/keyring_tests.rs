//! Trust in registered keys: the root, registrations vouched for by a trusted admin key, and
//! what does not verify — a key slipped into the file, a revoked key, a changed decision.

use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, PrivateKey};

use crate::domain::PromptName;
use crate::domain::people::Role;
use crate::domain::policy::{DecisionKind, SignatureCheck};
use crate::domain::statement::{KeyAction, KeyStatement};
use crate::signer::KeySource;
use crate::store::UserKeyRow;
use crate::workspace::{PolicyChange, Workspace};

use super::keyring::{KeyRing, KeyStanding};

fn key() -> PrivateKey {
    PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap()
}

fn fingerprint(k: &PrivateKey) -> String {
    k.public_key()
        .fingerprint(ssh_key::HashAlg::Sha256)
        .to_string()
}

fn public(k: &PrivateKey) -> String {
    k.public_key().to_openssh().unwrap()
}

struct People {
    alice: Workspace,
    bob: Workspace,
    bob_key: PrivateKey,
    name: PromptName,
}

/// alice (admin, root key) and bob (reviewer, key registered by alice); `p` v1 by alice; a
/// review of v1 for production, which requires signatures.
fn setup(dir: &tempfile::TempDir) -> People {
    let path = dir.path().join("ws.db");
    let alice_key = key();
    let bob_key = key();
    let mut alice = Workspace::open(&path, "alice").unwrap();
    alice.set_signer(KeySource::in_memory(alice_key.clone()));
    alice.add_user("alice", Role::Admin, &[]).unwrap();
    alice.add_user("bob", Role::Reviewer, &[]).unwrap();
    let root = alice.add_user_key("alice", &public(&alice_key)).unwrap();
    assert!(root.root);
    alice.add_user_key("bob", &public(&bob_key)).unwrap();
    let name = PromptName::parse("p").unwrap();
    alice
        .create_from_starter(&name, "classifier", &[], None)
        .unwrap();
    alice
        .set_policy(
            "production",
            &PolicyChange {
                require_signatures: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    alice
        .request_review(&name, 1, "production", &[], "")
        .unwrap();
    let mut bob = Workspace::open(&path, "bob").unwrap();
    bob.set_signer(KeySource::in_memory(bob_key.clone()));
    People {
        alice,
        bob,
        bob_key,
        name,
    }
}

#[test]
fn a_signed_approval_counts_and_an_unsigned_one_is_refused_where_signatures_are_required() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = setup(&dir);
    let mut unsigned = Workspace::open(p.bob.path(), "bob").unwrap();
    let err = unsigned
        .decide(1, DecisionKind::Approve, "ok")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no signing key"), "{err}");
    assert!(
        p.bob.review(1).unwrap().decisions.is_empty(),
        "nothing recorded"
    );

    let info = p.bob.decide(1, DecisionKind::Approve, "ok").unwrap();
    assert!(info.verdict.allowed, "{:?}", info.verdict);
    assert!(info.decisions[0].verified);
    assert_eq!(info.decisions[0].decision.check, SignatureCheck::Verified);
    assert!(p.alice.verify_signatures(None).unwrap().problems.is_empty());

    // Revoked, bob's approval no longer counts, and the verdict says why.
    let fp = fingerprint(&p.bob_key);
    p.alice.revoke_user_key("bob", &fp).unwrap();
    let info = p.alice.review(1).unwrap();
    assert!(!info.verdict.allowed);
    assert!(
        info.verdict
            .missing
            .iter()
            .any(|m| m.starts_with("bob's approval has a bad signature: signed by a revoked key")),
        "{:?}",
        info.verdict
    );
    let _ = p.name;
}

#[test]
fn a_key_slipped_into_the_file_for_someone_else_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = setup(&dir);
    // mallory, with write access to the file, registers her own key as bob's, signing the
    // registration with it (she has no trusted admin key).
    let mallory = key();
    let fingerprint = fingerprint(&mallory);
    p.alice
        .store
        .write(|tx| {
            let mut row = UserKeyRow {
                id: 0,
                record_id: uuid::Uuid::now_v7().to_string(),
                user: "bob".into(),
                fingerprint: fingerprint.clone(),
                public_key: public(&mallory),
                added_by: "alice".into(),
                at: crate::workspace::now(),
                statement: String::new(),
                signature: None,
            };
            row.statement = KeyStatement {
                workspace: &tx.workspace_id()?,
                record: &row.record_id,
                action: KeyAction::Register,
                user: &row.user,
                fingerprint: &row.fingerprint,
                public_key: &row.public_key,
                by: &row.added_by,
                at: &row.at,
            }
            .text();
            let sig = mallory
                .sign("galley", ssh_key::HashAlg::Sha512, row.statement.as_bytes())
                .unwrap();
            row.signature = Some(crate::domain::sshsig::armor(&sig).unwrap());
            tx.insert_user_key(&row)?;
            Ok::<_, crate::workspace::WorkspaceError>(())
        })
        .unwrap();
    let ring = KeyRing::load(&p.alice.store.read(), None).unwrap();
    let slipped = ring
        .keys
        .iter()
        .find(|k| k.row.fingerprint == fingerprint)
        .unwrap();
    assert!(
        matches!(&slipped.standing, KeyStanding::Untrusted(why) if why.contains("not a trusted key of alice")),
        "{:?}",
        slipped.standing
    );
    assert!(!ring.valid_fingerprints("bob").contains(&fingerprint));
    let report = p.alice.verify_signatures(None).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0]
            .to_string()
            .contains("registration does not verify")
    );
    // Pinning another root makes every key untrusted.
    let report = p.alice.verify_signatures(Some("SHA256:nope")).unwrap();
    assert!(report.problems[0].what.contains("trust root"), "{report:?}");
}
