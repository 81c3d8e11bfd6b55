//! The canonical serialisation of an entry, and the hash that chains it to the one before.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AuditEntry;

/// The sha256 (64 hex digits) of an entry's canonical serialisation, ignoring its stored `hash`.
///
/// The serialisation is the compact JSON array
/// `[seq, id, actor, at, action, target, details, prev_hash]`: no whitespace, strings escaped as
/// serde_json escapes them, and `details` in [`canonical_json`] form. A JSON array has exactly
/// one reading, so no two different entries serialise to the same bytes.
pub fn chain_hash(entry: &AuditEntry) -> String {
    Sha256::digest(serialise(entry).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The bytes [`chain_hash`] hashes.
pub(super) fn serialise(entry: &AuditEntry) -> String {
    let mut text = String::with_capacity(256);
    text.push('[');
    text.push_str(&entry.seq.to_string());
    for field in [
        &entry.id,
        &entry.actor,
        &entry.at,
        &entry.action,
        &entry.target,
    ] {
        text.push(',');
        push_string(&mut text, field);
    }
    text.push(',');
    write_canonical(&mut text, &entry.details);
    text.push(',');
    push_string(&mut text, &entry.prev_hash);
    text.push(']');
    text
}

/// `value` as compact JSON with every object's keys sorted (by their UTF-8 bytes), whatever
/// order the map holds them in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                write_canonical(out, &map[key]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        // null, booleans, numbers and strings have one compact form.
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn push_string(out: &mut String, s: &str) {
    out.push_str(&Value::from(s).to_string());
}
