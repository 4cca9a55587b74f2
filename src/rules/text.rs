//! Small text helpers: word tokens and boundary checks on byte offsets.

/// A maximal run of alphanumeric characters, lower-cased.
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub lower: String,
}

/// Splits `text` into alphanumeric word tokens (byte offsets on char boundaries).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            tokens.push(token(text, s, i));
        }
    }
    if let Some(s) = start {
        tokens.push(token(text, s, text.len()));
    }
    tokens
}

fn token(text: &str, start: usize, end: usize) -> Token {
    let slice = &text[start..end];
    let lower = if slice.chars().any(char::is_uppercase) {
        slice.to_lowercase()
    } else {
        slice.to_owned()
    };
    Token { start, end, lower }
}

/// The character before byte offset `i`.
pub(crate) fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i).and_then(|s| s.chars().next_back())
}

/// The character at byte offset `i`.
pub(crate) fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// True when a word (letter or digit) character touches `start` from the left or `end` from
/// the right.
pub(crate) fn glued(text: &str, start: usize, end: usize) -> bool {
    prev_char(text, start).is_some_and(char::is_alphanumeric)
        || next_char(text, end).is_some_and(char::is_alphanumeric)
}

/// True when the gap between two tokens lets a multi-word expression continue: only
/// whitespace, or a single hyphen.
pub(crate) fn joinable(gap: &str) -> bool {
    gap == "-" || (!gap.is_empty() && gap.len() <= 3 && gap.chars().all(char::is_whitespace))
}

/// If `hay` starts with `needle` (lower-case) ignoring case, the byte length matched in `hay`.
pub(crate) fn starts_with_ci(hay: &str, needle: &str) -> Option<usize> {
    let mut hay_chars = hay.char_indices();
    for n in needle.chars() {
        let (_, h) = hay_chars.next()?;
        if h != n && h.to_lowercase().ne(std::iter::once(n)) {
            return None;
        }
    }
    Some(hay_chars.next().map_or(hay.len(), |(i, _)| i))
}

/// Number of leading whitespace bytes of `s`, at most `max` characters.
pub(crate) fn skip_spaces(s: &str, max: usize) -> usize {
    s.char_indices()
        .take(max)
        .take_while(|(_, c)| c.is_whitespace())
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0)
}
