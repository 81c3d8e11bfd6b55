//! Drawing the workbench into a TestBackend for snapshots, and the snapshot of both sizes.

use galley::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::harness::Harness;

/// The screen as text, without colour (so a snapshot shows that meaning never rests on it).
pub fn draw(h: &mut Harness, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    // Twice: the first frame lays the panes out, as the terminal loop's frames do.
    for _ in 0..2 {
        terminal
            .draw(|frame| view::draw(&mut h.app, frame))
            .unwrap();
    }
    terminal.backend().to_string()
}

/// Snapshots `$screen(h, width, height)` at 80×24 and 160×48 as `<name>_80x24` and
/// `<name>_160x48`, named after the calling test module.
macro_rules! both_sizes {
    ($screen:expr, $h:expr, $name:expr) => {{
        insta::assert_snapshot!(format!("{}_80x24", $name), $screen($h, 80, 24));
        insta::assert_snapshot!(format!("{}_160x48", $name), $screen($h, 160, 48));
    }};
}
pub(crate) use both_sizes;
