//! Text on a terminal: escaped so that it cannot steer the terminal, cut to
//! a width, and ages as people read them.

/// Text made safe for a terminal: control characters (ESC, BEL, …; line
/// breaks too unless `keep_newlines`) and the bidi controls that reorder
/// what is shown are written as visible escapes (`\u{1b}`), so that text
/// from a tenant, a file or a log cannot move the cursor, retitle or clear
/// the terminal, or disguise itself.
pub fn for_terminal(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` cut to `width` columns, ending with `…`.
pub fn cut_to(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// How long ago, in its largest unit: `45s ago`, `5h ago`, `3d ago`
/// (`in 2h` for the future).
pub fn age(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds();
    let (n, unit) = match secs.abs() {
        s if s < 60 => (s, "s"),
        s if s < 3600 => (s / 60, "m"),
        s if s < 86_400 => (s / 3600, "h"),
        s => (s / 86_400, "d"),
    };
    if secs < 0 {
        format!("in {n}{unit}")
    } else {
        format!("{n}{unit} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_has_no_live_control_or_bidi_character() {
        let evil = "x\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{202e}txt.exe";
        let safe = for_terminal(evil, false);
        assert!(
            !safe.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{safe}"
        );
        assert!(safe.contains("\\u{1b}]0;PWNED\\u{7}"), "{safe}");
        assert_eq!(for_terminal("a\nb", true), "a\nb");
        assert_eq!(for_terminal("a\nb", false), "a\\u{a}b");
        assert!(matches!(
            for_terminal("Café ↻", false),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn ages_read_in_their_largest_unit() {
        use chrono::TimeDelta;
        assert_eq!(age(TimeDelta::seconds(45)), "45s ago");
        assert_eq!(age(TimeDelta::minutes(90)), "1h ago");
        assert_eq!(age(TimeDelta::hours(5)), "5h ago");
        assert_eq!(age(TimeDelta::days(3) + TimeDelta::hours(7)), "3d ago");
        assert_eq!(age(TimeDelta::hours(-2)), "in 2h");
    }

    #[test]
    fn text_is_cut_to_a_width_with_an_ellipsis() {
        assert_eq!(cut_to("Customer 12 Holdings Limited", 10), "Customer …");
        assert_eq!(width(&cut_to("日本語のテキスト", 7)), 7);
    }
}
