//! Signatures through sync, with the real server on 127.0.0.1:0: the server's key registrations
//! reach a client by pull; a decision bob signs in his workspace (his key from `ssh-keygen`)
//! is re-verified by the server and counts there; where the server's production policy requires
//! signatures, an unsigned decision is refused by the server with the reason, and a decision
//! whose signature was moved onto another decision is refused too.

mod common;
mod signing_support;
mod sync_support;

use common::ok_as;
use galley::domain::people::Role;
use galley::signer::KeySource;
use galley::workspace::{PolicyChange, Workspace};
use serde_json::Value;
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, PrivateKey};
use sync_support::{World, json_on, sync_ok, with_key};

const P: &str = "support/triage";

fn request(g: &common::Galley, version: &str) {
    ok_as(
        g,
        "ada",
        &[
            "review",
            "request",
            P,
            "--version",
            version,
            "--env",
            "production",
            "--reviewer",
            "bob",
        ],
    );
}

#[test]
fn a_signed_decision_counts_on_the_server_and_an_unsigned_one_is_refused_there() {
    let w = World::new();
    let bob_key = signing_support::keygen(&w.b, "bob", "id_bob", &["-t", "ed25519"], "");

    // The server's admin registers their own key (the trust root) and bob's, and requires
    // signatures on production.
    {
        let mut server = Workspace::open(&w.server_db, "root").unwrap();
        let root_key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        server.set_signer(KeySource::in_memory(root_key.clone()));
        server
            .add_user_key("root", &root_key.public_key().to_openssh().unwrap())
            .unwrap();
        server
            .add_user_key("bob", &std::fs::read_to_string(&bob_key.public).unwrap())
            .unwrap();
        server
            .set_policy(
                "production",
                &PolicyChange {
                    require_signatures: Some(true),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(
            server
                .users()
                .unwrap()
                .iter()
                .any(|u| u.role == Role::Admin)
        );
    }

    // ada writes two versions and asks bob to review both for production.
    ok_as(&w.a, "ada", &["new", P]);
    ok_as(&w.a, "ada", &["set", P, "1", "--text", "Triage carefully."]);
    ok_as(&w.a, "ada", &["commit", P, "-m", "careful"]);
    request(&w.a, "1");
    request(&w.a, "2");
    sync_ok(&w.a, "ada", &w.keys.ada, &["sync"]);

    // bob pulls: the server's key registrations come with the records, and his key is trusted.
    sync_ok(&w.b, "bob", &w.keys.bob, &["sync", "pull"]);
    let keys = common::json_as(&w.b, "bob", &["user", "key", "list"]);
    let bobs: Vec<&Value> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["user"] == "bob")
        .collect();
    assert_eq!(bobs.len(), 1, "{keys}");
    assert_eq!(bobs[0]["status"], "valid", "{keys}");
    assert_eq!(bobs[0]["fingerprint"], bob_key.fingerprint.as_str());

    // bob approves v1 signed, and v2 unsigned (his workspace does not require signatures).
    let signed = ["--signing-key", bob_key.private_str()];
    let mut approve_v1 = signed.to_vec();
    approve_v1.extend(["review", "approve", "1", "-m", "signed and sound"]);
    ok_as(&w.b, "bob", &approve_v1);
    ok_as(&w.b, "bob", &["review", "approve", "2", "-m", "unsigned"]);
    let pushed = with_key(&w.b, "bob", &w.keys.bob, &["sync", "push"]);
    assert_eq!(pushed.code, 1, "{pushed:?}");
    assert!(
        pushed.stdout.contains(
            "rejected: approve by bob on support/triage: the server's production policy \
             requires signatures and the decision is not signed"
        ),
        "{pushed:?}"
    );

    // On the server: the signed approval is there and verified; the unsigned one was refused.
    let v1 = json_on(&w.server_db, "root", &["review", "show", "1"]);
    let decisions = v1["review"]["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{v1}");
    assert_eq!(decisions[0]["verified"], true);
    assert_eq!(decisions[0]["key"], bob_key.fingerprint.as_str());
    assert_eq!(v1["review"]["status"], "approved", "{v1}");
    let v2 = json_on(&w.server_db, "root", &["review", "show", "2"]);
    assert!(
        v2["review"]["decisions"].as_array().unwrap().is_empty(),
        "{v2}"
    );
    // bob deploys v1 to production, signed: the server takes it (its policy is met by his
    // verified approval), and the sync pins the history with a checkpoint bob signs.
    let mut deploy = signed.to_vec();
    deploy.extend(["deploy", P, "--version", "1", "--env", "production"]);
    ok_as(&w.b, "bob", &deploy);
    let before = common::json_as(&w.b, "bob", &["audit", "verify"])["checkpoints"]
        .as_u64()
        .unwrap();
    let mut push = signed.to_vec();
    push.extend(["sync", "push"]);
    let pushed = with_key(&w.b, "bob", &w.keys.bob, &push);
    assert!(pushed.stdout.contains("pushed 1"), "{pushed:?}");
    let after = common::json_as(&w.b, "bob", &["audit", "verify"]);
    assert_eq!(
        after["checkpoints"].as_u64().unwrap(),
        before + 1,
        "{after}"
    );
    let served = json_on(&w.server_db, "root", &["envs"]);
    assert!(served.to_string().contains("production"), "{served}");
    let history = json_on(&w.server_db, "root", &["envs", P, "--history"]);
    assert!(history.to_string().contains("\"signature\""), "{history}");
    w.assert_audits_ok();
}
