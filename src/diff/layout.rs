//! Arrangements of a line diff for display: aligned two-column rows and unified hunks.

use serde::Serialize;

use super::{DiffLine, LineTag};

/// One row of a two-column view: the old line on the left, the new one on the right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SideBySideRow {
    pub left: Option<DiffLine>,
    pub right: Option<DiffLine>,
}

/// Aligns a line diff into rows: an equal line on both sides; a run of deletes followed by a
/// run of inserts paired row by row, the longer run's extra lines facing an empty side.
pub fn side_by_side(lines: &[DiffLine]) -> Vec<SideBySideRow> {
    let mut rows = Vec::with_capacity(lines.len());
    let mut k = 0;
    while k < lines.len() {
        if lines[k].tag == LineTag::Equal {
            rows.push(SideBySideRow {
                left: Some(lines[k].clone()),
                right: Some(lines[k].clone()),
            });
            k += 1;
            continue;
        }
        let deletes = run(lines, k, LineTag::Delete);
        let inserts = run(lines, deletes.end, LineTag::Insert);
        let height = deletes.len().max(inserts.len());
        for row in 0..height {
            rows.push(SideBySideRow {
                left: lines[deletes.clone()].get(row).cloned(),
                right: lines[inserts.clone()].get(row).cloned(),
            });
        }
        k = inserts.end;
    }
    rows
}

/// The indices of the lines tagged `tag` from `start` on.
fn run(lines: &[DiffLine], start: usize, tag: LineTag) -> std::ops::Range<usize> {
    let len = lines[start..].iter().take_while(|l| l.tag == tag).count();
    start..start + len
}

/// A unified-diff hunk: a stretch of changes with its context lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// 1-based first old line; when the hunk has no old lines, the line before it (0 at the top),
    /// as in `@@ -0,0 +1,3 @@`.
    pub old_start: usize,
    pub old_len: usize,
    /// 1-based first new line, by the same rule.
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// The hunk's `@@ -a,b +c,d @@` header.
    pub fn header(&self) -> String {
        format!(
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_len, self.new_start, self.new_len
        )
    }
}

/// Groups the changed lines of a full line diff into hunks with up to `context` equal lines
/// around each change; changes closer than `2 * context` lines share a hunk.
pub fn hunks(lines: &[DiffLine], context: usize) -> Vec<Hunk> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        if line.tag == LineTag::Equal {
            continue;
        }
        let start = k.saturating_sub(context);
        let end = (k + context + 1).min(lines.len());
        match spans.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => spans.push((start, end)),
        }
    }

    let mut hunks = Vec::with_capacity(spans.len());
    // Lines of each side before the cursor, counted once over the whole diff.
    let (mut cursor, mut old_before, mut new_before) = (0, 0, 0);
    for (start, end) in spans {
        for line in &lines[cursor..start] {
            old_before += usize::from(line.tag != LineTag::Insert);
            new_before += usize::from(line.tag != LineTag::Delete);
        }
        let body = &lines[start..end];
        let old_len = body.iter().filter(|l| l.tag != LineTag::Insert).count();
        let new_len = body.iter().filter(|l| l.tag != LineTag::Delete).count();
        hunks.push(Hunk {
            old_start: old_before + usize::from(old_len > 0),
            old_len,
            new_start: new_before + usize::from(new_len > 0),
            new_len,
            lines: body.to_vec(),
        });
        old_before += old_len;
        new_before += new_len;
        cursor = end;
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff_text;

    fn tags(lines: &[Option<DiffLine>]) -> Vec<Option<LineTag>> {
        lines.iter().map(|l| l.as_ref().map(|l| l.tag)).collect()
    }

    #[test]
    fn side_by_side_pairs_delete_and_insert_runs() {
        let lines = diff_text("a\nb\nc\nd\ne", "a\nB\nC\nX\nd\ne\nf");
        let rows = side_by_side(&lines);
        let left: Vec<_> = rows.iter().map(|r| r.left.clone()).collect();
        let right: Vec<_> = rows.iter().map(|r| r.right.clone()).collect();
        use LineTag::*;
        assert_eq!(
            tags(&left),
            [
                Some(Equal),
                Some(Delete),
                Some(Delete),
                None,
                Some(Equal),
                Some(Equal),
                None
            ]
        );
        assert_eq!(
            tags(&right),
            [
                Some(Equal),
                Some(Insert),
                Some(Insert),
                Some(Insert),
                Some(Equal),
                Some(Equal),
                Some(Insert)
            ]
        );
        let texts: Vec<_> = rows
            .iter()
            .map(|r| {
                let side =
                    |l: &Option<DiffLine>| l.as_ref().map(DiffLine::text).unwrap_or_default();
                (side(&r.left), side(&r.right))
            })
            .collect();
        assert_eq!(texts[1], ("b".to_string(), "B".to_string()));
        assert_eq!(texts[3], (String::new(), "X".to_string()));
        assert_eq!(texts[6], (String::new(), "f".to_string()));
        // Equal rows carry both line numbers.
        assert_eq!(rows[4].left.as_ref().unwrap().old_line, Some(4));
        assert_eq!(rows[4].right.as_ref().unwrap().new_line, Some(5));

        // More deletes than inserts: the extra deletes face an empty right side.
        let rows = side_by_side(&diff_text("x\n1\n2\n3\ny", "x\nuno\ny"));
        let right: Vec<_> = rows.iter().map(|r| r.right.clone()).collect();
        assert_eq!(
            tags(&right),
            [Some(Equal), Some(Insert), None, None, Some(Equal)]
        );
    }

    #[test]
    fn hunks_carry_context_and_unified_ranges() {
        let old: Vec<String> = (1..=20).map(|i| format!("line {i}")).collect();
        let mut new = old.clone();
        new[2] = "changed 3".into();
        new[4] = "changed 5".into();
        new[16] = "changed 17".into();
        let lines = diff_text(&old.join("\n"), &new.join("\n"));
        let found = hunks(&lines, 2);
        assert_eq!(found.len(), 2);
        // Lines 1..=7 (changes at 3 and 5, two lines of context each side, merged).
        assert_eq!(found[0].header(), "@@ -1,7 +1,7 @@");
        assert_eq!(found[0].lines.len(), 9);
        assert_eq!(found[1].header(), "@@ -15,5 +15,5 @@");
        assert_eq!(found[1].lines.first().unwrap().text(), "line 15");
        assert_eq!(found[1].lines.last().unwrap().text(), "line 19");
        // No context: each change alone.
        assert_eq!(hunks(&lines, 0).len(), 3);
        // Nothing changed: no hunks.
        assert!(hunks(&diff_text("a\nb", "a\nb"), 3).is_empty());

        // Pure insertion at the top and pure deletion at the end, git-style starts.
        let top = hunks(&diff_text("a\nb", "new\na\nb"), 0);
        assert_eq!(top[0].header(), "@@ -0,0 +1,1 @@");
        let end = hunks(&diff_text("a\nb\nc", "a\nb"), 1);
        assert_eq!(end[0].header(), "@@ -2,2 +2,1 @@");
        let all = hunks(&diff_text("", "x\ny"), 3);
        assert_eq!(all[0].header(), "@@ -0,0 +1,2 @@");
    }
}
