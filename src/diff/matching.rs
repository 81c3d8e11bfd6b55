//! Which old section became which new one, and which matched sections moved.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffableStr, capture_diff_slices_deadline, get_diff_ratio};

use super::text::align_lines;

use crate::domain::{Section, SectionKind};

/// Two bodies at least this similar (similar's ratio) make a rename candidate.
const RENAME_RATIO: f32 = 0.5;

/// Bodies shorter than this (both together, in bytes) are compared word by word, longer ones
/// line by line: a one-line body with one word changed is still recognisably the same section.
const WORD_COMPARE_LIMIT: usize = 4096;

/// Time allowed to each body comparison of the rename search.
const COMPARE_TIMEOUT: Duration = Duration::from_millis(50);

/// For each new section, the index of the old section it continues, if any. Matched in order:
/// same kind and title (case-insensitive, duplicates paired in order of appearance); then same
/// kind with the most similar body (a rename); then same title with another kind.
pub(super) fn match_sections(old: &[Section], new: &[Section]) -> Vec<Option<usize>> {
    let mut new_to_old: Vec<Option<usize>> = vec![None; new.len()];
    let mut old_taken = vec![false; old.len()];

    // 1. Same kind and same title.
    let mut by_kind_title: HashMap<(SectionKind, String), VecDeque<usize>> = HashMap::new();
    for (i, section) in old.iter().enumerate() {
        by_kind_title
            .entry((section.kind, title_key(&section.title)))
            .or_default()
            .push_back(i);
    }
    for (j, section) in new.iter().enumerate() {
        let key = (section.kind, title_key(&section.title));
        if let Some(i) = by_kind_title.get_mut(&key).and_then(VecDeque::pop_front) {
            new_to_old[j] = Some(i);
            old_taken[i] = true;
        }
    }

    // 2. Same kind, most similar body: the best pairs first. Only sections left unmatched are
    // compared, so the usual edit (a few bodies changed, titles kept) costs nothing here.
    let mut candidates = Vec::new();
    for (j, section) in new.iter().enumerate() {
        if new_to_old[j].is_some() {
            continue;
        }
        for (i, before) in old.iter().enumerate() {
            if old_taken[i] || before.kind != section.kind {
                continue;
            }
            let ratio = similarity(&before.body, &section.body);
            if ratio >= RENAME_RATIO {
                candidates.push((ratio, i, j));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)).then(a.1.cmp(&b.1)));
    for (_, i, j) in candidates {
        if !old_taken[i] && new_to_old[j].is_none() {
            new_to_old[j] = Some(i);
            old_taken[i] = true;
        }
    }

    // 3. Same title, another kind.
    let mut by_title: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, section) in old.iter().enumerate() {
        if !old_taken[i] {
            by_title
                .entry(title_key(&section.title))
                .or_default()
                .push_back(i);
        }
    }
    for (j, section) in new.iter().enumerate() {
        if new_to_old[j].is_some() {
            continue;
        }
        if let Some(i) = by_title
            .get_mut(&title_key(&section.title))
            .and_then(VecDeque::pop_front)
        {
            new_to_old[j] = Some(i);
            old_taken[i] = true;
        }
    }
    new_to_old
}

fn title_key(title: &str) -> String {
    title.trim().to_lowercase()
}

/// similar's ratio of two bodies, in `0..=1`: by words for short bodies, by lines for long ones.
fn similarity(old: &str, new: &str) -> f32 {
    if old == new {
        return 1.0;
    }
    let deadline = Instant::now() + COMPARE_TIMEOUT;
    if old.len() + new.len() <= WORD_COMPARE_LIMIT {
        let (old_words, new_words) = (words(old), words(new));
        let ops =
            capture_diff_slices_deadline(Algorithm::Myers, &old_words, &new_words, Some(deadline));
        get_diff_ratio(&ops, old_words.len(), new_words.len())
    } else {
        let alignment = align_lines(old, new, deadline);
        let total = alignment.old.len() + alignment.new.len();
        2.0 * alignment.pairs.len() as f32 / total.max(1) as f32
    }
}

/// A text's words and punctuation: white space between words would make any two sentences
/// look half alike.
fn words(text: &str) -> Vec<&str> {
    text.tokenize_unicode_words()
        .into_iter()
        .filter(|w| !w.trim().is_empty())
        .collect()
}

/// For each new section, whether it moved: matched sections outside the longest increasing
/// subsequence of new positions taken in old order. One section moved up is one move.
pub(super) fn moved(new_to_old: &[Option<usize>]) -> Vec<bool> {
    let mut pairs: Vec<(usize, usize)> = new_to_old
        .iter()
        .enumerate()
        .filter_map(|(j, i)| i.map(|i| (i, j)))
        .collect();
    pairs.sort_unstable();
    let sequence: Vec<usize> = pairs.iter().map(|&(_, j)| j).collect();
    let keep = longest_increasing(&sequence);
    let mut moved = vec![false; new_to_old.len()];
    for (k, &j) in sequence.iter().enumerate() {
        moved[j] = !keep[k];
    }
    moved
}

/// Marks the members of one longest strictly increasing subsequence (patience, O(n log n)).
fn longest_increasing(sequence: &[usize]) -> Vec<bool> {
    // tails[l]: index of the smallest last element of an increasing run of length l + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; sequence.len()];
    for (k, &value) in sequence.iter().enumerate() {
        let at = tails.partition_point(|&t| sequence[t] < value);
        previous[k] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(k);
        } else {
            tails[at] = k;
        }
    }
    let mut keep = vec![false; sequence.len()];
    let mut cursor = tails.last().copied();
    while let Some(k) = cursor {
        keep[k] = true;
        cursor = previous[k];
    }
    keep
}
