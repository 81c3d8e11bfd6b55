//! Where a comment on the diff goes: the section and line of the new version at the top of the
//! pane (the first body line shown, skipping headers and folds).

use super::{DiffView, Part, Row};

impl DiffView {
    /// The new version's (1-based section number, 1-based line) at the top of the pane, or the
    /// first such line below it; `None` when no new line is in view (say, a removed section).
    pub fn top_anchor(&mut self) -> Option<(u32, u32)> {
        self.ensure_rows();
        let (rows, loaded) = (self.rows.as_ref()?, self.loaded.as_ref()?);
        // Before the first draw the page size is unknown: look a few rows down.
        let page = if self.viewport == 0 {
            10
        } else {
            self.viewport
        };
        let end = (self.scroll + page).min(rows.rows.len());
        rows.rows.get(self.scroll..end)?.iter().find_map(|row| {
            let (i, k) = match *row {
                Row::Line(Part::Section(i), k) | Row::Pair(Part::Section(i), _, Some(k)) => (i, k),
                _ => return None,
            };
            let section = loaded.diff.sections.get(i)?;
            let line = section.lines.get(k)?.new_line?;
            Some((section.new_index? as u32 + 1, line as u32))
        })
    }
}
