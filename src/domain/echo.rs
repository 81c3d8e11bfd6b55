//! How much of a caller's input a message may quote back: error messages name the value they
//! refuse, but never more than a bounded prefix of it (a 100 KB name is not echoed whole).

/// The most characters of one input value a message quotes.
pub const ECHO_CHARS: usize = 80;

/// `raw` as a message may quote it: unchanged up to [`ECHO_CHARS`] characters, else its first
/// [`ECHO_CHARS`] characters followed by `…`.
pub fn echo(raw: &str) -> String {
    bounded(raw, ECHO_CHARS)
}

/// `raw` cut after `max` characters (with `…` when cut).
pub fn bounded(raw: &str, max: usize) -> String {
    match raw.char_indices().nth(max) {
        None => raw.to_string(),
        Some((at, _)) => format!("{}…", &raw[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole_and_long_ones_cut() {
        assert_eq!(echo("support/triage"), "support/triage");
        assert_eq!(echo(&"a".repeat(ECHO_CHARS)), "a".repeat(ECHO_CHARS));
        let long = echo(&"é".repeat(100_000));
        assert_eq!(long.chars().count(), ECHO_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(bounded("abcdef", 3), "abc…");
    }
}
