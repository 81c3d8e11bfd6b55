//! The policy rules, one table row per situation.

use super::*;

const HASH: &str = "h-current";
const OLD: &str = "h-old";
const AUTHOR: &str = "ann";

fn d(reviewer: &str, groups: &[&str], kind: DecisionKind, hash: &str, at: &str) -> Decision {
    Decision {
        reviewer: reviewer.to_string(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        kind,
        content_hash: hash.to_string(),
        at: format!("2025-01-01T00:00:{at}Z"),
        check: SignatureCheck::Unsigned,
    }
}

fn approve(reviewer: &str, groups: &[&str]) -> Decision {
    d(reviewer, groups, DecisionKind::Approve, HASH, "10")
}

fn policy(min: u32, groups: &[&str], self_ok: bool) -> Policy {
    Policy {
        min_approvals: min,
        required_groups: groups.iter().map(|g| g.to_string()).collect(),
        allow_self_approval: self_ok,
        require_eval: None,
        rejection_blocks: true,
        require_signatures: false,
    }
}

fn with_eval(mut p: Policy, dataset: &str, rate: f64) -> Policy {
    p.require_eval = Some(EvalRequirement {
        dataset: dataset.to_string(),
        min_pass_rate: rate,
    });
    p
}

struct Case {
    name: &'static str,
    policy: Policy,
    decisions: Vec<Decision>,
    eval: Option<f64>,
    missing: &'static [&'static str],
}

#[test]
fn every_rule() {
    let cases = vec![
        Case {
            name: "an open policy allows anything",
            policy: Policy::open(),
            decisions: vec![],
            eval: None,
            missing: &[],
        },
        Case {
            name: "no approval yet",
            policy: Policy::protected(),
            decisions: vec![],
            eval: None,
            missing: &["needs 1 more approval"],
        },
        Case {
            name: "one approval from someone else",
            policy: Policy::protected(),
            decisions: vec![approve("bob", &[])],
            eval: None,
            missing: &[],
        },
        Case {
            name: "plural shortfall",
            policy: policy(3, &[], false),
            decisions: vec![approve("bob", &[])],
            eval: None,
            missing: &["needs 2 more approvals"],
        },
        Case {
            name: "the same reviewer twice counts once",
            policy: policy(2, &[], false),
            decisions: vec![
                approve("bob", &[]),
                d("bob", &[], DecisionKind::Approve, HASH, "20"),
            ],
            eval: None,
            missing: &["needs 1 more approval"],
        },
        Case {
            name: "self-approval refused",
            policy: Policy::protected(),
            decisions: vec![approve(AUTHOR, &[])],
            eval: None,
            missing: &[
                "the author cannot approve their own version",
                "needs 1 more approval",
            ],
        },
        Case {
            name: "self-approval ignored once others suffice",
            policy: Policy::protected(),
            decisions: vec![approve(AUTHOR, &[]), approve("bob", &[])],
            eval: None,
            missing: &[],
        },
        Case {
            name: "self-approval allowed",
            policy: policy(1, &[], true),
            decisions: vec![approve(AUTHOR, &[])],
            eval: None,
            missing: &[],
        },
        Case {
            name: "a self-approval does not bring the author's group",
            policy: policy(1, &["compliance"], false),
            decisions: vec![approve(AUTHOR, &["compliance"]), approve("bob", &[])],
            eval: None,
            missing: &[
                "the author cannot approve their own version",
                "needs an approval from group compliance",
            ],
        },
        Case {
            name: "required group missing",
            policy: policy(2, &["compliance"], false),
            decisions: vec![approve("bob", &[]), approve("cat", &["legal"])],
            eval: None,
            missing: &["needs an approval from group compliance"],
        },
        Case {
            name: "required groups met by one approver",
            policy: policy(1, &["compliance", "legal"], false),
            decisions: vec![approve("dan", &["compliance", "legal"])],
            eval: None,
            missing: &[],
        },
        Case {
            name: "groups needed even with no minimum",
            policy: policy(0, &["security"], false),
            decisions: vec![],
            eval: None,
            missing: &["needs an approval from group security"],
        },
        Case {
            name: "approvals of other content do not count",
            policy: Policy::protected(),
            decisions: vec![d("bob", &[], DecisionKind::Approve, OLD, "10")],
            eval: None,
            missing: &["needs 1 more approval"],
        },
        Case {
            name: "a rejection blocks",
            policy: Policy::protected(),
            decisions: vec![
                approve("cat", &[]),
                d("bob", &[], DecisionKind::Reject, HASH, "11"),
            ],
            eval: None,
            missing: &["rejected by bob: a rejection blocks until a new version"],
        },
        Case {
            name: "a rejection that does not block",
            policy: Policy {
                rejection_blocks: false,
                ..Policy::protected()
            },
            decisions: vec![
                approve("cat", &[]),
                d("bob", &[], DecisionKind::Reject, HASH, "11"),
            ],
            eval: None,
            missing: &[],
        },
        Case {
            name: "a rejection of older content does not block",
            policy: Policy::protected(),
            decisions: vec![
                approve("cat", &[]),
                d("bob", &[], DecisionKind::Reject, OLD, "11"),
            ],
            eval: None,
            missing: &[],
        },
        Case {
            name: "a reviewer's later approval lifts their rejection",
            policy: Policy::protected(),
            decisions: vec![
                d("bob", &[], DecisionKind::Approve, HASH, "12"),
                d("bob", &[], DecisionKind::Reject, HASH, "11"),
            ],
            eval: None,
            missing: &[],
        },
        Case {
            name: "a request for changes withdraws an approval",
            policy: Policy::protected(),
            decisions: vec![
                approve("bob", &[]),
                d("bob", &[], DecisionKind::RequestChanges, HASH, "20"),
            ],
            eval: None,
            missing: &["needs 1 more approval"],
        },
        Case {
            name: "eval required, no run",
            policy: with_eval(Policy::open(), "qa", 0.95),
            decisions: vec![],
            eval: None,
            missing: &["needs a passing eval run on dataset qa (>= 95%), none yet"],
        },
        Case {
            name: "eval required, best run too low",
            policy: with_eval(Policy::open(), "qa", 0.95),
            decisions: vec![],
            eval: Some(0.8),
            missing: &["needs a passing eval run on dataset qa (>= 95%), best is 80%"],
        },
        Case {
            name: "eval required, met exactly",
            policy: with_eval(Policy::open(), "qa", 0.95),
            decisions: vec![],
            eval: Some(19.0 / 20.0),
            missing: &[],
        },
        Case {
            name: "everything missing at once, in a fixed order",
            policy: with_eval(policy(2, &["compliance"], false), "qa", 0.9),
            decisions: vec![
                approve(AUTHOR, &[]),
                d("bob", &[], DecisionKind::Reject, HASH, "11"),
            ],
            eval: Some(0.5),
            missing: &[
                "rejected by bob: a rejection blocks until a new version",
                "the author cannot approve their own version",
                "needs 2 more approvals",
                "needs an approval from group compliance",
                "needs a passing eval run on dataset qa (>= 90%), best is 50%",
            ],
        },
    ];
    for case in cases {
        let verdict = evaluate(&case.policy, AUTHOR, HASH, &case.decisions, case.eval);
        assert_eq!(verdict.missing, case.missing, "{}", case.name);
        assert_eq!(verdict.allowed, case.missing.is_empty(), "{}", case.name);
    }
}

#[test]
fn eval_requirements_parse() {
    let ok = [
        ("qa:0.95", "qa", 0.95),
        ("qa:95%", "qa", 0.95),
        ("qa:95", "qa", 0.95),
        ("qa:1", "qa", 1.0),
        ("support/golden:80 %", "support/golden", 0.8),
        ("a:b:0.5", "a:b", 0.5),
    ];
    for (input, dataset, rate) in ok {
        let req: EvalRequirement = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(req.dataset, dataset, "{input}");
        assert!((req.min_pass_rate - rate).abs() < 1e-9, "{input}");
    }
    for bad in ["qa", ":0.9", "qa:", "qa:high", "qa:-1", "qa:150", "qa:101%"] {
        assert!(bad.parse::<EvalRequirement>().is_err(), "{bad}");
    }
}

#[test]
fn policies_read_in_words() {
    assert_eq!(
        Policy::open().describe(),
        ["open: no approval or eval needed"]
    );
    let p = with_eval(policy(2, &["compliance"], false), "qa", 0.975);
    assert_eq!(
        p.describe(),
        [
            "needs 2 approvals from different reviewers",
            "needs an approval from group compliance",
            "the author cannot approve their own version",
            "needs a passing eval run on dataset qa (>= 97.5%)",
            "a rejection blocks until a new version",
        ]
    );
}

#[test]
fn policies_round_trip_as_json() {
    let p = with_eval(policy(2, &["legal"], true), "qa", 0.9);
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), p);
    let minimal: Policy = serde_json::from_str(r#"{"min_approvals": 1}"#).unwrap();
    assert!(minimal.rejection_blocks && !minimal.allow_self_approval);
}

#[test]
fn with_signatures_required_only_verified_decisions_count_and_the_verdict_says_whose() {
    let mut p = policy(1, &[], false);
    p.require_signatures = true;
    let unsigned = approve("grace", &[]);
    let v = evaluate(&p, AUTHOR, HASH, std::slice::from_ref(&unsigned), None);
    assert!(!v.allowed);
    assert!(
        v.missing
            .contains(&"grace's approval is not signed".to_string()),
        "{v:?}"
    );
    assert!(
        v.missing.contains(&"needs 1 more approval".to_string()),
        "{v:?}"
    );

    let bad = Decision {
        check: SignatureCheck::Bad("signed by a revoked key".into()),
        ..approve("grace", &[])
    };
    let v = evaluate(&p, AUTHOR, HASH, &[bad], None);
    assert!(
        v.missing
            .contains(&"grace's approval has a bad signature: signed by a revoked key".to_string()),
        "{v:?}"
    );

    let signed = Decision {
        check: SignatureCheck::Verified,
        ..approve("grace", &[])
    };
    assert!(evaluate(&p, AUTHOR, HASH, std::slice::from_ref(&signed), None).allowed);
    // An unsigned rejection does not block when signatures are required, but it is named.
    let reject = d("bob", &[], DecisionKind::Reject, HASH, "20");
    let v = evaluate(&p, AUTHOR, HASH, &[signed.clone(), reject], None);
    assert_eq!(v.missing, vec!["bob's rejection is not signed".to_string()]);
    // Without the requirement, signatures do not matter.
    p.require_signatures = false;
    assert!(evaluate(&p, AUTHOR, HASH, &[unsigned], None).allowed);
}
