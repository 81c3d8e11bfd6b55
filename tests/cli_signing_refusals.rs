//! With signatures required, what cannot be trusted is refused or does not count (issue 11,
//! "Signed decisions" and "Bad input"), on the same three real OS accounts and `ssh-keygen`
//! keys as `cli_signing`: unsigned and unregistered decisions, revoked keys, bad keys, agents
//! and passphrases, and bob's name or key in alice's hands.

mod common;
mod signing_support;

use common::{json_as, ok_as};
use serde_json::Value;
use signing_support::world::*;
use signing_support::*;
use std::path::{Path, PathBuf};

use common::{refused_as, run_as};

#[test]
fn with_signatures_required_an_unsigned_or_unregistered_decision_is_refused() {
    let w = setup();
    let before = audit_len(&w.g);
    let bob = |env: &[(&str, &Path)], args: &[&str]| run_env(&w.g, "bob", env, args);
    let approve = ["review", "approve", w.review.as_str(), "-m", "ok"];

    // No agent and no key file.
    let err = one_line_refusal(&bob(&[], &approve), "no key");
    assert!(err.starts_with("error: no signing key: "), "{err}");

    // A key file that is not bob's registered key (carol's, copied to bob).
    let stolen = w.carol.copy_for(&w.g, "bob", "carols_key");
    let mut with_key = vec!["--signing-key", stolen.private_str()];
    with_key.extend_from_slice(&approve);
    let err = one_line_refusal(&bob(&[], &with_key), "carol's key");
    assert_eq!(
        err,
        format!(
            "error: the signing key {} ({}) is not registered to you (yours: {})",
            stolen.private.display(),
            w.carol.fingerprint,
            w.bob.fingerprint
        )
    );

    // An agent that is not there.
    let nothing = w.g.path("no-agent.sock");
    let err = one_line_refusal(&bob(&[("SSH_AUTH_SOCK", &nothing)], &approve), "no agent");
    assert!(
        err.starts_with(&format!(
            "error: the ssh-agent at {} cannot be reached",
            nothing.display()
        )),
        "{err}"
    );

    // An agent holding only a key nobody registered.
    let agent = Agent::start(&w.g, "bob");
    let spare = keygen(&w.g, "bob", "spare", &["-t", "ed25519"], "");
    agent.add(&spare);
    let err = one_line_refusal(
        &bob(&[("SSH_AUTH_SOCK", &agent.socket)], &approve),
        "agent without bob's key",
    );
    assert_eq!(
        err,
        format!(
            "error: the ssh-agent holds none of the keys registered to you ({}): `ssh-add` one",
            w.bob.fingerprint
        )
    );

    assert_eq!(decisions(&w), Vec::<Value>::new());
    assert_eq!(audit_len(&w.g), before);
    assert_eq!(show(&w)["status"], "pending");
}

#[test]
fn after_carols_key_is_revoked_her_earlier_approval_no_longer_counts() {
    let w = setup();
    assert_eq!(
        approve_with_key(&w, "carol", &w.carol, "ok")["verdict"]["allowed"],
        true
    );
    let revoked = json_as(
        &w.g,
        "alice",
        &[
            "--signing-key",
            w.alice.private_str(),
            "user",
            "key",
            "revoke",
            "carol",
            &w.carol.fingerprint,
        ],
    );
    assert_eq!(revoked["status"], "revoked", "{revoked:#}");

    let review = show(&w);
    assert_eq!(review["verdict"]["allowed"], false, "{review:#}");
    let missing: Vec<&str> = review["verdict"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let prefix = format!(
        "carol's approval has a bad signature: signed by a revoked key ({}, revoked by alice at ",
        w.carol.fingerprint
    );
    assert!(
        missing.iter().any(|m| m.starts_with(&prefix)),
        "{missing:?}"
    );
    assert_eq!(review["decisions"][0]["verified"], false);
    let human = ok_as(&w.g, "bob", &["review", "show", &w.review]).stdout;
    assert!(
        human.contains("carol approve ✗ bad signature (signed by a revoked key"),
        "{human}"
    );
    // Production stays closed to version 2, and carol's key signs nothing new.
    let deploy = [
        "--signing-key",
        w.alice.private_str(),
        "deploy",
        P,
        "--version",
        "2",
        "--env",
        "production",
    ];
    let err = refused_as(&w.g, "alice", &deploy);
    assert!(
        err.contains("carol's approval has a bad signature"),
        "{err}"
    );
    let before = audit_len(&w.g);
    let out = run_as(
        &w.g,
        "carol",
        &[
            "--signing-key",
            w.carol.private_str(),
            "review",
            "reject",
            &w.review,
            "-m",
            "no",
        ],
    );
    one_line_refusal(&out, "a revoked key signing");
    assert_eq!(audit_len(&w.g), before);
}

#[test]
fn bad_keys_and_passphrases_get_one_clear_line_and_nothing_is_recorded() {
    let w = setup();
    let g = &w.g;
    let keys_before = json_as(g, "alice", &["user", "key", "list"]);
    let before = audit_len(g);
    let add = |user: &str, file: &Path| {
        run_as(
            g,
            user,
            &[
                "--signing-key",
                w.alice.private_str(),
                "user",
                "key",
                "add",
                "carol",
                "--file",
                file.to_str().unwrap(),
            ],
        )
    };
    let malformed = g.write("malformed.pub", "ssh-ed25519 not!base64 carol@host\n");
    let short_rsa = keygen(g, "alice", "rsa1024", &["-t", "rsa", "-b", "1024"], "");
    let sk = g.write(
        "sk.pub",
        &format!("{} carol@yubikey\n", signing_support::sk_ed25519_line()),
    );
    let twice = format!(
        "key {} is already registered to bob (since ",
        w.bob.fingerprint
    );
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "malformed",
            malformed,
            "invalid key: not an OpenSSH public key (",
        ),
        (
            "private",
            short_rsa.private.clone(),
            "invalid key: this is a private key: register the public key (the `.pub` file)",
        ),
        (
            "rsa 1024",
            short_rsa.public.clone(),
            "invalid key: RSA keys need at least 2048 bits; this one has 1024",
        ),
        (
            "ed25519-sk",
            sk,
            "invalid key: unsupported key type sk-ssh-ed25519@openssh.com: use an ed25519, ecdsa or rsa key",
        ),
        ("twice", w.bob.public.clone(), &twice),
    ];
    for (what, file, expected) in &cases {
        let err = one_line_refusal(&add("alice", file), what);
        assert!(
            err.starts_with(&format!("error: {}: {expected}", file.display())),
            "{what}: {err}"
        );
    }
    // A reviewer registering a key (even a sound one, with her own valid key to sign it).
    let spare = keygen(g, "carol", "spare", &["-t", "ed25519"], "");
    let out = run_as(
        g,
        "carol",
        &[
            "--signing-key",
            w.carol.private_str(),
            "user",
            "key",
            "add",
            "carol",
            "--file",
            spare.public_str(),
        ],
    );
    let err = one_line_refusal(&out, "non-admin");
    assert!(err.contains("admin"), "{err}");

    // An encrypted key file: with no terminal to ask on, galley says it needs the passphrase;
    // on a terminal given a wrong one, it names the file.
    let locked = keygen(g, "carol", "locked", &["-t", "ed25519"], "right horse");
    let approve = [
        "--signing-key",
        locked.private_str(),
        "review",
        "approve",
        w.review.as_str(),
        "-m",
        "ok",
    ];
    let err = one_line_refusal(&run_as(g, "carol", &approve), "no terminal");
    assert_eq!(
        err,
        format!(
            "error: the signing key {} is protected by a passphrase and none was given: run \
             galley on a terminal to type it, or add the key to ssh-agent (`ssh-add`)",
            locked.private.display()
        )
    );
    let (code, screen) = pty_run(g.command_as("carol"), &approve, "battery staple");
    assert_eq!(code, 1, "{screen}");
    let errors: Vec<&str> = screen.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(
        errors,
        vec![format!(
            "error: wrong passphrase for the signing key {}",
            locked.private.display()
        )],
        "{screen}"
    );

    assert_eq!(json_as(g, "alice", &["user", "key", "list"]), keys_before);
    assert_eq!(audit_len(g), before);
    assert_eq!(decisions(&w), Vec::<Value>::new());
}

#[test]
fn bobs_name_or_bobs_key_does_not_make_alice_bob() {
    let w = setup();
    let g = &w.g;
    // carol writes version 3 and asks alice and bob.
    ok_as(
        g,
        "carol",
        &["set", P, "1", "--text", "Triage with more care."],
    );
    ok_as(g, "carol", &["commit", P, "-m", "more care"]);
    let review = json_as(
        g,
        "carol",
        &[
            "review",
            "request",
            P,
            "--version",
            "3",
            "--env",
            "production",
            "--reviewer",
            "alice",
            "--reviewer",
            "bob",
        ],
    )["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let before = audit_len(g);
    // alice holding a copy of bob's key, with USER=bob, is still alice, and bob's key is not hers.
    let bobs = w.bob.copy_for(g, "alice", "bobs_key");
    let approve = [
        "--signing-key",
        bobs.private_str(),
        "review",
        "approve",
        review.as_str(),
        "-m",
        "ok",
    ];
    let mut cmd = g.command_as("alice");
    cmd.env("USER", "bob").env("LOGNAME", "bob").args(approve);
    let err = one_line_refusal(&g.run_cmd(cmd), "USER=bob with bob's key");
    assert_eq!(
        err,
        format!(
            "error: the signing key {} ({}) is not registered to you (yours: {})",
            bobs.private.display(),
            w.bob.fingerprint,
            w.alice.fingerprint
        )
    );
    let mut cmd = g.command_as("alice");
    cmd.env("GALLEY_USER", "bob").args(approve);
    let err = one_line_refusal(&g.run_cmd(cmd), "GALLEY_USER=bob with bob's key");
    assert!(err.starts_with("error: refusing to act as `bob`"), "{err}");
    assert_eq!(audit_len(g), before);

    // alice approves with her own key; then someone with write access to the file swaps in a
    // genuine signature by bob's key over alice's statement. It verifies as a signature, but
    // not as alice's, so her approval does not count.
    let mine = [
        "--signing-key",
        w.alice.private_str(),
        "review",
        "approve",
        review.as_str(),
        "-m",
        "ok",
    ];
    assert_eq!(json_as(g, "alice", &mine)["verdict"]["allowed"], true);
    let shown = json_as(g, "bob", &["review", "show", &review])["review"].clone();
    let d = &shown["decisions"][0];
    assert_eq!(
        (d["reviewer"].as_str(), d["verified"].as_bool()),
        (Some("alice"), Some(true))
    );
    let forged = ssh_keygen_sign(g, &w.bob, d["statement"].as_str().unwrap());
    replace_decision_signature(g, "alice", &forged);
    let shown = json_as(g, "bob", &["review", "show", &review])["review"].clone();
    assert_eq!(shown["decisions"][0]["verified"], false);
    assert_eq!(shown["decisions"][0]["key"], w.bob.fingerprint.as_str());
    assert_eq!(shown["verdict"]["allowed"], false);
    let expected = format!(
        "alice's approval has a bad signature: signed by a key not registered to alice ({})",
        w.bob.fingerprint
    );
    assert!(
        shown["verdict"]["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == expected.as_str()),
        "{:#}",
        shown["verdict"]
    );
}
