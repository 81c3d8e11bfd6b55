//! Signed decisions round-trip with OpenSSH itself (issue 11, "Signed decisions"): three real
//! OS accounts share one workspace file whose production requires signatures; alice (admin) has
//! an ed25519 key, bob (reviewer, compliance) an ECDSA P-256 key and carol (reviewer) an RSA
//! 3072 key, all made by `ssh-keygen`. galley signs from key files and from a real `ssh-agent`;
//! its signatures are checked with `ssh-keygen -Y verify`, and signatures `ssh-keygen -Y sign`
//! made over galley's statements are checked by galley.

mod common;
mod signing_support;

use common::{json_as, ok_as, run_as};
use serde_json::Value;
use signing_support::world::*;
use signing_support::*;

#[test]
fn keys_of_three_types_register_back_to_alices_self_signed_root() {
    let w = setup();
    let listing = json_as(&w.g, "alice", &["user", "key", "list"]);
    assert_eq!(listing["root"], w.alice.fingerprint.as_str(), "{listing:#}");
    let keys = listing["keys"].as_array().expect("keys");
    let seen: Vec<(&str, &str, &str, &str, bool)> = keys
        .iter()
        .map(|k| {
            (
                k["user"].as_str().unwrap(),
                k["fingerprint"].as_str().unwrap(),
                k["algorithm"].as_str().unwrap(),
                k["status"].as_str().unwrap(),
                k["root"].as_bool().unwrap(),
            )
        })
        .collect();
    // The fingerprints are the ones `ssh-keygen -l` prints for the same files.
    assert_eq!(
        seen,
        vec![
            (
                "alice",
                w.alice.fingerprint.as_str(),
                "ssh-ed25519",
                "valid",
                true
            ),
            (
                "bob",
                w.bob.fingerprint.as_str(),
                "ecdsa-sha2-nistp256",
                "valid",
                false
            ),
            (
                "carol",
                w.carol.fingerprint.as_str(),
                "ssh-rsa",
                "valid",
                false
            ),
        ]
    );
    for k in keys.iter().filter(|k| k["user"] != "alice") {
        assert_eq!(k["added_by"], "alice");
    }
    let bobs = json_as(&w.g, "bob", &["user", "key", "list", "bob"]);
    assert_eq!(bobs["keys"].as_array().unwrap().len(), 1);
    assert_eq!(bobs["keys"][0]["fingerprint"], w.bob.fingerprint.as_str());
    let human = ok_as(&w.g, "carol", &["user", "key", "list"]).stdout;
    assert!(
        human.contains(&format!("trust root: {}", w.alice.fingerprint)),
        "{human}"
    );
    let policy = json_as(&w.g, "alice", &["policy", "show", "production"]);
    assert_eq!(policy["policy"]["require_signatures"], true, "{policy:#}");

    // Each registration is an ssh-keygen-verifiable signature by alice's key: the root signs
    // itself, and bob's and carol's are signed by the root.
    let conn = rusqlite::Connection::open(w.g.db()).expect("open the workspace file");
    let mut rows = conn
        .prepare("SELECT user_name, statement, signature FROM user_keys ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    for (user, statement, signature) in &rows {
        let verified = ssh_keygen_verify(&w.g, "alice", &w.alice, statement, signature);
        assert!(
            verified.status.success(),
            "{user}'s registration: {verified:?}"
        );
    }
}

#[test]
fn a_decision_galley_signs_through_ssh_agent_verifies_with_ssh_keygen() {
    let w = setup();
    // bob's key lives only in a real ssh-agent, run as bob: galley asks it to sign over the
    // agent protocol and never reads the key file.
    let agent = Agent::start(&w.g, "bob");
    agent.add(&w.bob);
    let sock = agent.socket.clone();
    let out = run_env(
        &w.g,
        "bob",
        &[("SSH_AUTH_SOCK", &sock)],
        &["--json", "review", "approve", &w.review, "-m", "checked"],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.json()["status"], "approved");
    let d = &decisions(&w)[0];
    assert_eq!(d["reviewer"], "bob");
    assert_eq!(d["verified"], true, "{d:#}");
    assert_eq!(d["key"], w.bob.fingerprint.as_str());
    let statement = d["statement"].as_str().expect("a statement");
    let signature = d["signature"].as_str().expect("a signature");
    assert!(signature.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
    assert!(statement.starts_with("galley review decision v1\n"));
    assert!(statement.contains("\nreviewer: bob\n") && statement.contains("\nversion: 2\n"));

    // OpenSSH accepts it for bob in the galley namespace...
    let good = ssh_keygen_verify(&w.g, "bob", &w.bob, statement, signature);
    assert!(good.status.success(), "{good:?}");
    let said = String::from_utf8_lossy(&good.stdout);
    assert!(said.contains("Good \"galley\" signature for bob"), "{said}");
    // ...and only over that exact text and for that key.
    let changed = statement.replace("decision: approve", "decision: reject");
    let bad = ssh_keygen_verify(&w.g, "bob", &w.bob, &changed, signature);
    assert!(
        !bad.status.success(),
        "a changed statement verified: {bad:?}"
    );
    let not_carol = ssh_keygen_verify(&w.g, "carol", &w.carol, statement, signature);
    assert!(
        !not_carol.status.success(),
        "verified as carol's: {not_carol:?}"
    );

    let human = ok_as(&w.g, "carol", &["review", "show", &w.review]).stdout;
    assert!(human.contains("bob approve ✓ signed"), "{human}");
}

#[test]
fn signatures_ssh_keygen_makes_over_galleys_statements_are_accepted_by_galley() {
    let w = setup();
    // RSA (PKCS#1 v1.5) and Ed25519 signatures are deterministic: the same key over the same
    // bytes gives the same signature, so ssh-keygen reproducing galley's armored block byte for
    // byte shows the statement, namespace, hash and armor are exactly OpenSSH's.
    let carol = approve_with_key(&w, "carol", &w.carol, "fine by me");
    assert_eq!(carol["status"], "approved");
    let d = &decisions(&w)[0];
    let statement = d["statement"].as_str().unwrap();
    let galleys = d["signature"].as_str().unwrap();
    assert_eq!(ssh_keygen_sign(&w.g, &w.carol, statement), galleys);
    let conn = rusqlite::Connection::open(w.g.db()).unwrap();
    let (root_statement, root_signature): (String, String) = conn
        .query_row(
            "SELECT statement, signature FROM user_keys WHERE user_name = 'alice'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    assert_eq!(
        ssh_keygen_sign(&w.g, &w.alice, &root_statement),
        root_signature
    );

    // ECDSA signatures are randomised: ssh-keygen's differs from galley's, and put in its
    // place galley must still verify it (it is bob's valid signature of the same statement).
    approve_with_key(&w, "bob", &w.bob, "compliant");
    let d = decisions(&w)[1].clone();
    let statement = d["statement"].as_str().unwrap();
    let openssh = ssh_keygen_sign(&w.g, &w.bob, statement);
    assert_ne!(openssh, d["signature"].as_str().unwrap());
    replace_decision_signature(&w.g, "bob", &openssh);
    let d = decisions(&w)[1].clone();
    assert_eq!(d["signature"], openssh.as_str());
    assert_eq!(d["verified"], true, "{d:#}");
    assert_eq!(d["key"], w.bob.fingerprint.as_str());
    assert_eq!(show(&w)["verdict"]["allowed"], true);

    // The same check fails for an ssh-keygen signature by bob over a statement that differs
    // from the record in one field: galley's acceptance above is not a rubber stamp.
    let other = ssh_keygen_sign(&w.g, &w.bob, &statement.replace("version: 2", "version: 1"));
    replace_decision_signature(&w.g, "bob", &other);
    let review = show(&w);
    let d = &review["decisions"][1];
    assert_eq!(d["verified"], false, "{d:#}");
    let missing = review["verdict"]["missing"].to_string();
    assert!(
        missing.contains("bob's approval has a bad signature: the signature does not match"),
        "{missing}"
    );
}

#[test]
fn a_deployment_to_production_is_signed_by_its_deployer() {
    let w = setup();
    approve_with_key(&w, "bob", &w.bob, "ok");
    let before = audit_len(&w.g);
    let deploy = ["deploy", P, "--version", "2", "--env", "production"];
    let err = one_line_refusal(&run_as(&w.g, "alice", &deploy), "deploy without a key");
    assert!(err.starts_with("error: no signing key: "), "{err}");
    assert_eq!(audit_len(&w.g), before);
    let status = json_as(&w.g, "alice", &["envs", P, "--history"]);
    assert_eq!(status, Value::Array(vec![]), "nothing deployed: {status:#}");

    let mut signed = vec!["--signing-key", w.alice.private_str()];
    signed.extend_from_slice(&deploy);
    let d = json_as(&w.g, "alice", &signed);
    let statement = d["statement"].as_str().expect("a signed statement");
    let signature = d["signature"].as_str().expect("a signature");
    assert!(
        statement.starts_with("galley deployment v1\n"),
        "{statement}"
    );
    assert!(
        statement.contains("\nactor: alice\n") && statement.contains("\nenvironment: production\n")
    );
    let good = ssh_keygen_verify(&w.g, "alice", &w.alice, statement, signature);
    assert!(good.status.success(), "{good:?}");
    let as_bob = ssh_keygen_verify(&w.g, "bob", &w.bob, statement, signature);
    assert!(!as_bob.status.success(), "{as_bob:?}");
}
