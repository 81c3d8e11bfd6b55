//! Line diffs of two texts, with the changed words inside changed lines emphasized.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, DiffableStr, capture_diff_slices_deadline};

use super::{DiffLine, LineTag, Segment};

/// How long one text diff may search for a minimal answer before similar approximates (the
/// result stays a correct diff, only less tidy). Ordinary prompts finish in a millisecond; this
/// bounds pathological inputs, per text so one huge section cannot starve the others.
const TEXT_TIMEOUT: Duration = Duration::from_millis(300);

/// Two paired lines share at least this share of their words (similar's ratio, white space
/// left out) for their changed words to be emphasized; below it they are simply different lines.
const EMPHASIS_RATIO: f32 = 0.5;

/// Diffs `old` against `new` line by line, returning every line of both (shared ones tagged
/// `equal`) with 1-based line numbers. A changed stretch lists its deletes, then its inserts;
/// the k-th delete and the k-th insert are compared word by word (as [`side_by_side`] pairs
/// them) and their changed words emphasized. A missing final newline is not a difference.
///
/// [`side_by_side`]: super::side_by_side
pub fn diff_text(old: &str, new: &str) -> Vec<DiffLine> {
    let deadline = Instant::now() + TEXT_TIMEOUT;
    let alignment = align_lines(old, new, deadline);
    let (old_lines, new_lines) = (&alignment.old, &alignment.new);
    let mut out = Vec::with_capacity(old_lines.len().max(new_lines.len()));
    let (mut o, mut n) = (0, 0);
    let ends = [(old_lines.len(), new_lines.len())];
    for &(po, pn) in alignment.pairs.iter().chain(&ends) {
        push_changes(&mut out, old_lines, o..po, new_lines, n..pn, deadline);
        if po < old_lines.len() {
            out.push(DiffLine {
                tag: LineTag::Equal,
                old_line: Some(po + 1),
                new_line: Some(pn + 1),
                segments: plain(new_lines[pn]),
            });
        }
        (o, n) = (po + 1, pn + 1);
    }
    out
}

/// Both texts' lines (without terminators) and the matched `(old, new)` line pairs, in order.
pub(super) struct Alignment<'a> {
    pub old: Vec<&'a str>,
    pub new: Vec<&'a str>,
    pub pairs: Vec<(usize, usize)>,
}

/// Aligns the lines of two texts with Myers' algorithm. As git does, lines found on one side
/// only are set aside first: they can never match, and without them a rewritten text costs
/// no more than a lightly edited one.
pub(super) fn align_lines<'a>(old: &'a str, new: &'a str, deadline: Instant) -> Alignment<'a> {
    let (old_lines, old_ends) = split_lines(old);
    let (new_lines, new_ends) = split_lines(new);
    let mut pairs = Vec::new();
    if old == new {
        pairs.extend((0..old_lines.len()).map(|k| (k, k)));
    } else if !old_lines.is_empty() && !new_lines.is_empty() {
        // Intern each line (its text and its terminator) as a number.
        let mut ids: HashMap<(&str, &str), u32> = HashMap::with_capacity(old_lines.len());
        let mut intern = |key| {
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        };
        let old_ids: Vec<u32> = old_lines
            .iter()
            .zip(&old_ends)
            .map(|(l, e)| intern((*l, *e)))
            .collect();
        let new_ids: Vec<u32> = new_lines
            .iter()
            .zip(&new_ends)
            .map(|(l, e)| intern((*l, *e)))
            .collect();
        let mut sides = vec![0u8; ids.len()];
        old_ids.iter().for_each(|&id| sides[id as usize] |= 1);
        new_ids.iter().for_each(|&id| sides[id as usize] |= 2);
        let shared = |ids: &[u32]| -> Vec<usize> {
            (0..ids.len())
                .filter(|&k| sides[ids[k] as usize] == 3)
                .collect()
        };
        let (old_kept, new_kept) = (shared(&old_ids), shared(&new_ids));
        let old_seq: Vec<u32> = old_kept.iter().map(|&k| old_ids[k]).collect();
        let new_seq: Vec<u32> = new_kept.iter().map(|&k| new_ids[k]).collect();
        let ops =
            capture_diff_slices_deadline(Algorithm::Myers, &old_seq, &new_seq, Some(deadline));
        for op in ops {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                pairs.extend((0..len).map(|k| (old_kept[old_index + k], new_kept[new_index + k])));
            }
        }
    }
    Alignment {
        old: old_lines,
        new: new_lines,
        pairs,
    }
}

/// A text's lines, split as similar splits them (`\n`, `\r\n` or a lone `\r`), and each line's
/// terminator, the missing one of a last line counting as `\n`.
fn split_lines(text: &str) -> (Vec<&str>, Vec<&str>) {
    text.tokenize_lines()
        .into_iter()
        .map(|line| {
            let content = line
                .strip_suffix('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .or_else(|| line.strip_suffix('\r'))
                .unwrap_or(line);
            let end = &line[content.len()..];
            (content, if end.is_empty() { "\n" } else { end })
        })
        .unzip()
}

/// A changed stretch: its deletes, then its inserts, paired row by row for word emphasis.
fn push_changes(
    out: &mut Vec<DiffLine>,
    old: &[&str],
    old_range: std::ops::Range<usize>,
    new: &[&str],
    new_range: std::ops::Range<usize>,
    deadline: Instant,
) {
    let paired = old_range.len().min(new_range.len());
    let mut inserts = Vec::with_capacity(new_range.len());
    for (row, k) in new_range.enumerate() {
        let segments = if row < paired {
            let old_k = old_range.start + row;
            let (old_segments, new_segments) = emphasize(old[old_k], new[k], deadline);
            out.push(DiffLine {
                tag: LineTag::Delete,
                old_line: Some(old_k + 1),
                new_line: None,
                segments: old_segments,
            });
            new_segments
        } else {
            plain(new[k])
        };
        inserts.push(DiffLine {
            tag: LineTag::Insert,
            old_line: None,
            new_line: Some(k + 1),
            segments,
        });
    }
    let unpaired = old_range.start + paired..old_range.end;
    for (k, line) in unpaired.clone().zip(&old[unpaired]) {
        out.push(DiffLine {
            tag: LineTag::Delete,
            old_line: Some(k + 1),
            new_line: None,
            segments: plain(line),
        });
    }
    out.append(&mut inserts);
}

/// The segments of two paired lines, their changed words emphasized when the lines are alike.
fn emphasize(old: &str, new: &str, deadline: Instant) -> (Vec<Segment>, Vec<Segment>) {
    let (old_words, new_words) = (words(old), words(new));
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, &old_words, &new_words, Some(deadline));
    let total = count_words(&old_words) + count_words(&new_words);
    let shared: usize = ops
        .iter()
        .map(|op| match *op {
            DiffOp::Equal { old_index, len, .. } => {
                count_words(&old_words[old_index..old_index + len])
            }
            _ => 0,
        })
        .sum();
    if total > 0 && (2 * shared) as f32 / (total as f32) < EMPHASIS_RATIO {
        return (plain(old), plain(new));
    }
    let (mut old_segments, mut new_segments) = (Vec::new(), Vec::new());
    for op in &ops {
        let (_, old_range, new_range) = op.as_tag_tuple();
        let changed = !matches!(op, DiffOp::Equal { .. });
        for word in &old_words[old_range] {
            push_segment(&mut old_segments, changed, word);
        }
        for word in &new_words[new_range] {
            push_segment(&mut new_segments, changed, word);
        }
    }
    (old_segments, new_segments)
}

/// Splits a line into words (letters, digits and `_`), runs of white space, and single other
/// characters, so `{{ticket}}` changes as `ticket`, not as one blob.
fn words(line: &str) -> Vec<&str> {
    fn class(c: char) -> u8 {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous = None;
    for (i, c) in line.char_indices() {
        let this = class(c);
        if i > start && (previous != Some(this) || this == 2) {
            out.push(&line[start..i]);
            start = i;
        }
        previous = Some(this);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// Tokens that are not white space.
fn count_words(tokens: &[&str]) -> usize {
    tokens.iter().filter(|t| !t.trim().is_empty()).count()
}

fn plain(text: &str) -> Vec<Segment> {
    let mut segments = Vec::with_capacity(1);
    push_segment(&mut segments, false, text);
    segments
}

/// Appends text, merging with the previous segment when the emphasis is the same.
fn push_segment(segments: &mut Vec<Segment>, emphasized: bool, text: &str) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.emphasized == emphasized => last.text.push_str(text),
        _ => segments.push(Segment {
            text: text.to_string(),
            emphasized,
        }),
    }
}
