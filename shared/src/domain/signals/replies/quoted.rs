//! The fresh part of a reply: what the person wrote this time, without the
//! history their mail program quoted below it or their signature. Our own
//! pitch quoted back says "meeting", "book a call" and "unsubscribe"; it
//! must never decide what the reply means.

/// Lines that open the quoted history, however the mail program wrote it.
const SEPARATORS: &[&str] = &[
    "-----original message-----",
    "----- original message -----",
    "-----ursprüngliche nachricht-----",
    "----- ursprüngliche nachricht -----",
    "-----message d'origine-----",
    "----- message d'origine -----",
    "-----mensaje original-----",
    "----- mensaje original -----",
    "-----messaggio originale-----",
    "---------- forwarded message ---------",
    "---------- message transféré ---------",
    "---------- weitergeleitete nachricht ---------",
    "---------- mensaje reenviado ---------",
    "begin forwarded message:",
];

/// Sign-offs a phone adds above the history; nothing after them is fresh.
const MOBILE_FOOTERS: &[&str] = &[
    "sent from my ",
    "sent from outlook",
    "get outlook for ",
    "von meinem iphone gesendet",
    "von meinem ipad gesendet",
    "gesendet von meinem ",
    "envoyé de mon ",
    "envoyé depuis mon ",
    "enviado desde mi ",
    "enviado do meu ",
];

/// Header lines of a quoted message: a "From:" line followed within a few
/// lines by one of these is the top of a forwarded or quoted message.
const FROM_LINES: &[&str] = &["from:", "von:", "de :", "de:", "da:", "van:"];
const HEADER_LINES: &[&str] = &[
    "sent:",
    "date:",
    "to:",
    "subject:",
    "gesendet:",
    "datum:",
    "an:",
    "betreff:",
    "envoyé :",
    "envoyé:",
    "date :",
    "à :",
    "objet :",
    "enviado:",
    "fecha:",
    "para:",
    "asunto:",
];

/// Attribution lines ("On ... wrote:") by their opening word and the verb
/// that ends them, in English, German, French, Spanish, Dutch and Italian.
const ATTRIBUTIONS: &[(&str, &str)] = &[
    ("on ", "wrote:"),
    ("am ", "schrieb"),
    ("le ", "a écrit"),
    ("el ", "escribió"),
    ("op ", "schreef"),
    ("il ", "ha scritto"),
];

/// How many lines an attribution may wrap over (Gmail wraps long ones).
const ATTRIBUTION_LINES: usize = 3;

/// The reply as the person wrote it this time: lines quoted with `>` are
/// dropped, and everything from the first history separator, attribution
/// line, quoted header block, signature delimiter ("-- ") or mobile footer
/// on is cut.
pub fn fresh_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut fresh: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if starts_history(&lines, i) {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('>') {
            continue;
        }
        fresh.push(line);
    }
    while fresh.last().is_some_and(|l| l.trim().is_empty()) {
        fresh.pop();
    }
    fresh.join("\n")
}

/// Whether line `i` opens the quoted history or the signature.
fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line.trim_end() == "--" || line == "-- " {
        return true;
    }
    let lower = line.trim().to_lowercase();
    if lower.is_empty() {
        return false;
    }
    if SEPARATORS.iter().any(|s| lower.starts_with(s)) {
        return true;
    }
    // Outlook's rule above the quoted header block.
    if lower.len() >= 10 && lower.chars().all(|c| c == '_') {
        return true;
    }
    if MOBILE_FOOTERS.iter().any(|s| lower.starts_with(s)) {
        return true;
    }
    if is_attribution(lines, i, &lower) {
        return true;
    }
    FROM_LINES.iter().any(|f| lower.starts_with(f))
        && lines.iter().skip(i + 1).take(4).any(|l| {
            HEADER_LINES
                .iter()
                .any(|h| l.trim().to_lowercase().starts_with(h))
        })
}

/// "On Tue, Nov 24, 2026 at 9:14 AM Tom <tom@x.io> wrote:", possibly wrapped
/// over a few lines; likewise "Am ... schrieb ...:", "Le ... a écrit :",
/// "El ... escribió:".
fn is_attribution(lines: &[&str], i: usize, lower: &str) -> bool {
    let Some(&(_, verb)) = ATTRIBUTIONS
        .iter()
        .find(|(open, _)| lower.starts_with(open))
    else {
        return false;
    };
    let mut joined = String::new();
    for line in lines.iter().skip(i).take(ATTRIBUTION_LINES) {
        if !joined.is_empty() && line.trim().is_empty() {
            break;
        }
        joined.push(' ');
        joined.push_str(&line.trim().to_lowercase());
        let end = joined.trim_end();
        if end.ends_with(':') && end.contains(verb) {
            return joined.len() < 400;
        }
    }
    false
}
