//! The statement a checkpoint of the audit chain pins: the exact text a signer signs.

/// The canonical statement of a checkpoint: workspace `workspace_id`'s audit chain had entry
/// `seq` with hash `hash` at time `at`, in the form of every signed statement (see
/// [`super::statement`]); the same inputs always give the same bytes, so a signature over it
/// can be checked by anyone who rebuilds it from the stored fields.
pub fn checkpoint_statement(workspace_id: &str, seq: i64, hash: &str, at: &str) -> String {
    super::statement::CheckpointStatement {
        workspace: workspace_id,
        seq,
        hash,
        at,
    }
    .text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_is_pinned_line_by_line() {
        let text = checkpoint_statement("ws-1", 42, &"ab".repeat(32), "2025-03-01T09:00:00.000Z");
        assert_eq!(
            text,
            format!(
                "galley audit checkpoint v1\nworkspace: ws-1\nseq: 42\nhash: {}\nat: \
                 2025-03-01T09:00:00.000Z\n",
                "ab".repeat(32)
            )
        );
        assert_ne!(
            text,
            checkpoint_statement("ws-1", 43, &"ab".repeat(32), "2025-03-01T09:00:00.000Z")
        );
        assert_ne!(
            text,
            checkpoint_statement("ws-2", 42, &"ab".repeat(32), "2025-03-01T09:00:00.000Z")
        );
    }
}

/// A chain head named outside the file: `SEQ:HASH` (entry `seq` had `hash`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRef {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for HeadRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for HeadRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let wrong = |why: &str| {
            format!(
                "`{text}` is not a chain head: {why} (write SEQ:HASH, as `galley audit head` prints it)"
            )
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(|| wrong("no `:`"))?;
        let seq: i64 = seq
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| wrong("SEQ is not a positive number"))?;
        if hash.len() != 64
            || !hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(wrong("HASH is not 64 lowercase hex digits"));
        }
        Ok(Self {
            seq,
            hash: hash.to_string(),
        })
    }
}

#[cfg(test)]
mod head_tests {
    use super::*;

    #[test]
    fn a_head_reads_and_prints_as_seq_colon_hash() {
        let text = format!("12:{}", "0a".repeat(32));
        let head: HeadRef = text.parse().unwrap();
        assert_eq!((head.seq, head.to_string()), (12, text));
        for bad in [
            "12",
            "x:ab",
            "0:ab",
            &format!("3:{}", "A".repeat(64)),
            "3:abc",
        ] {
            let err = bad.parse::<HeadRef>().unwrap_err();
            assert!(err.contains("is not a chain head"), "{bad}: {err}");
        }
    }
}
