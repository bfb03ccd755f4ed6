//! The words of a reply folded for matching (case, accents, umlauts), each
//! keeping its place in the original text so evidence can quote what the
//! person wrote; and a small phrase pattern language over them.
//!
//! A pattern is words separated by spaces, folded the same way as the text
//! (so "zurück" and "zurueck", "désabonner" and "desabonner" match alike).
//! A word ending in `*` matches any word it begins ("unsub*"), one starting
//! with `*` any word it ends ("*gespräch": German compounds); a lone `~`
//! skips up to three words of the same sentence ("tragen ~ aus"). Apostrophes
//! and hyphens split words in text and pattern alike: "don't" is `don t`.

use crate::domain::targeting::suppression::canonical_email;

#[derive(Debug, Clone)]
pub(super) struct Word {
    pub norm: String,
    pub start: usize,
    pub end: usize,
}

/// A text cut into folded words.
#[derive(Debug, Clone)]
pub(super) struct Words<'a> {
    pub text: &'a str,
    pub words: Vec<Word>,
}

/// Where a pattern matched: the pattern, and words `first..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Match<'p> {
    pub pattern: &'p str,
    pub first: usize,
    pub end: usize,
}

/// Lower-cases and strips accents, writing umlauts and ß the German way so a
/// writer without a German keyboard ("zurueck", "Buero") still matches.
fn fold(c: char, out: &mut String) {
    for c in c.to_lowercase() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => out.push('a'),
            'ä' | 'æ' => out.push_str("ae"),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ē' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => out.push('o'),
            'ö' | 'œ' => out.push_str("oe"),
            'ù' | 'ú' | 'û' => out.push('u'),
            'ü' => out.push_str("ue"),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
}

/// A separator that ends a sentence: a gap never spans one.
fn ends_sentence(sep: &str) -> bool {
    sep.contains(['.', '!', '?', '\n', ';', '¿', '¡'])
}

impl<'a> Words<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut words = Vec::new();
        let mut current: Option<Word> = None;
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() {
                let w = current.get_or_insert_with(|| Word {
                    norm: String::new(),
                    start: i,
                    end: i,
                });
                fold(c, &mut w.norm);
                w.end = i + c.len_utf8();
            } else if let Some(w) = current.take() {
                words.push(w);
            }
        }
        words.extend(current);
        Words { text, words }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn norm(&self, i: usize) -> &str {
        self.words.get(i).map_or("", |w| w.norm.as_str())
    }

    /// The text between word `i - 1` and word `i` (the start of the text for
    /// the first word, the end of the text past the last).
    pub fn sep_before(&self, i: usize) -> &'a str {
        let from = if i == 0 {
            0
        } else {
            self.words.get(i - 1).map_or(self.text.len(), |w| w.end)
        };
        let to = self.words.get(i).map_or(self.text.len(), |w| w.start);
        self.text.get(from..to).unwrap_or("")
    }

    /// The original text of words `first..end`.
    pub fn quote(&self, first: usize, end: usize) -> &'a str {
        match (
            self.words.get(first),
            end.checked_sub(1).and_then(|l| self.words.get(l)),
        ) {
            (Some(a), Some(b)) if a.start <= b.end => self.text.get(a.start..b.end).unwrap_or(""),
            _ => "",
        }
    }

    /// Whether a sentence ends between words `first` and `end - 1`.
    pub fn crosses_sentence(&self, first: usize, end: usize) -> bool {
        (first + 1..end).any(|i| ends_sentence(self.sep_before(i)))
    }

    /// The end of `pattern` matched from word `at`, if it matches there.
    pub fn match_at(&self, pattern: &str, at: usize) -> Option<usize> {
        self.match_compiled(&compile(pattern), at)
    }

    fn match_compiled(&self, parts: &[Part], at: usize) -> Option<usize> {
        if parts.is_empty() {
            return None;
        }
        let end = self.match_parts(parts, at)?;
        (!self.crosses_sentence(at, end)).then_some(end)
    }

    fn match_parts(&self, parts: &[Part], at: usize) -> Option<usize> {
        let Some((part, rest)) = parts.split_first() else {
            return Some(at);
        };
        match part {
            Part::Gap => (0..=3).find_map(|skip| {
                let next = at + skip;
                (next <= self.len()).then(|| self.match_parts(rest, next))?
            }),
            Part::Word {
                norm,
                prefix,
                suffix,
            } => {
                let w = self.words.get(at)?;
                let ok = match (prefix, suffix) {
                    (true, _) => w.norm.starts_with(norm.as_str()),
                    (_, true) => w.norm.ends_with(norm.as_str()),
                    _ => w.norm == *norm,
                };
                if ok {
                    self.match_parts(rest, at + 1)
                } else {
                    None
                }
            }
        }
    }

    /// Every match of every pattern, in text order.
    pub fn matches<'p>(&self, patterns: &[&'p str]) -> Vec<Match<'p>> {
        let mut found = Vec::new();
        for &pattern in patterns {
            let parts = compile(pattern);
            for first in 0..self.len() {
                if let Some(end) = self.match_compiled(&parts, first) {
                    found.push(Match {
                        pattern,
                        first,
                        end,
                    });
                }
            }
        }
        found.sort_by_key(|m| (m.first, usize::MAX - m.end));
        found
    }

    /// The first match in the text of any of `patterns` (the longest where
    /// two start together).
    pub fn first<'p>(&self, patterns: &[&'p str]) -> Option<Match<'p>> {
        self.matches(patterns).into_iter().next()
    }

    /// The sentences (as word ranges) of the text.
    pub fn sentences(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=self.len() {
            if i == self.len() || ends_sentence(self.sep_before(i)) {
                if start < i {
                    out.push((start, i));
                }
                start = i;
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Word {
        norm: String,
        prefix: bool,
        suffix: bool,
    },
    Gap,
}

fn compile(pattern: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    for piece in pattern.split_whitespace() {
        if piece == "~" {
            parts.push(Part::Gap);
            continue;
        }
        let (piece, prefix) = match piece.strip_suffix('*') {
            Some(p) => (p, true),
            None => (piece, false),
        };
        let (piece, suffix) = match piece.strip_prefix('*') {
            Some(p) => (p, true),
            None => (piece, false),
        };
        let words = Words::new(piece).words;
        let last = words.len().saturating_sub(1);
        for (i, w) in words.into_iter().enumerate() {
            parts.push(Part::Word {
                norm: w.norm,
                prefix: prefix && i == last,
                suffix: suffix && i == 0,
            });
        }
    }
    parts
}

/// Email addresses written in `text`, canonical, in order of appearance.
pub(super) fn emails(text: &str) -> Vec<String> {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-'".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let mut found: Vec<String> = Vec::new();
    for (at, _) in text.match_indices('@') {
        let before = &text[..at];
        let start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local(c))
            .last()
            .map_or(at, |(i, _)| i);
        let after = &text[at + 1..];
        let len = after
            .char_indices()
            .take_while(|&(_, c)| domain(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let local_part = text[start..at].trim_start_matches(['.', '\'', '-']);
        let domain_part = after[..len].trim_end_matches(['.', '-']);
        if local_part.is_empty() || domain_part.is_empty() {
            continue;
        }
        if let Some(e) = canonical_email(&format!("{local_part}@{domain_part}")) {
            if !found.contains(&e) {
                found.push(e);
            }
        }
    }
    found
}
