//! SMS length and opt-out wording: how many segments a text is billed as
//! (GSM 03.38 / 3GPP TS 23.038 default alphabet or UCS-2), whether it tells
//! the recipient how to opt out, and a clean-up that keeps templates in the
//! cheaper alphabet.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    /// The GSM 7-bit default alphabet with its extension table.
    Gsm7,
    /// UTF-16: what any character outside the GSM alphabet forces.
    Ucs2,
}

/// What a text costs on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segments {
    pub encoding: SmsEncoding,
    /// Septets for GSM-7 (an extension character counts 2), UTF-16 code
    /// units for UCS-2 (a character outside the BMP counts 2).
    pub units: usize,
    /// Segments billed; at least 1.
    pub segments: usize,
}

/// Septets in one unconcatenated GSM-7 message.
const GSM_SINGLE: usize = 160;
/// Septets per part once concatenated: the user data header takes 7.
const GSM_PART: usize = 153;
/// UTF-16 units in one unconcatenated UCS-2 message.
const UCS2_SINGLE: usize = 70;
/// UTF-16 units per part once concatenated.
const UCS2_PART: usize = 67;

/// Septets a character takes in the GSM 7-bit default alphabet (1 for the
/// basic table, 2 for the escape + extension table), or `None` when it is
/// not in the alphabet at all. National language shift tables are not
/// assumed: providers do not use them for US/EU numbers.
fn gsm_septets(c: char) -> Option<usize> {
    match c {
        // Basic table (3GPP TS 23.038 §6.2.1), printable ASCII first. Not
        // every ASCII character is there: '`' is missing, and '$' and '@'
        // sit at other code points (which does not matter for counting).
        ' '..='#' | '%'..='?' | 'A'..='Z' | 'a'..='z' | '$' | '@' | '_' => Some(1),
        '\n' | '\r' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' => {
            Some(1)
        }
        'Δ' | 'Φ' | 'Γ' | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' => Some(1),
        'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä' | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' => {
            Some(1)
        }
        'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        // Extension table (§6.2.1.1): escape + one septet.
        '\u{0C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        _ => None,
    }
}

/// Parts needed to carry `costs` in order when a part holds `part` units and
/// no single character may straddle two parts (an escape sequence or a
/// surrogate pair split across parts arrives as garbage).
fn parts(costs: impl Iterator<Item = usize>, part: usize) -> usize {
    let (mut count, mut used) = (1, 0);
    for cost in costs {
        if used + cost > part {
            count += 1;
            used = 0;
        }
        used += cost;
    }
    count
}

/// How a text is encoded and how many segments it is billed as.
///
/// One character outside the GSM alphabet makes the whole text UCS-2. A
/// single segment holds 160 septets or 70 UTF-16 units; once concatenated
/// each part holds 153 or 67, and an extension character or a surrogate
/// pair that does not fit in what is left of a part moves whole to the
/// next. An empty text counts as 1 segment: a carrier still bills one.
pub fn segments(text: &str) -> Segments {
    let septets: Option<Vec<usize>> = text.chars().map(gsm_septets).collect();
    let (encoding, costs, single, part) = match septets {
        Some(costs) => (SmsEncoding::Gsm7, costs, GSM_SINGLE, GSM_PART),
        None => {
            let costs = text.chars().map(char::len_utf16).collect();
            (SmsEncoding::Ucs2, costs, UCS2_SINGLE, UCS2_PART)
        }
    };
    let units: usize = costs.iter().sum();
    let segments = if units <= single {
        1
    } else {
        parts(costs.into_iter(), part)
    };
    Segments {
        encoding,
        units,
        segments,
    }
}

/// The opt-out line added to a text that has none.
pub const DEFAULT_OPT_OUT: &str = "Reply STOP to opt out.";

/// Words of `text` (maximal alphanumeric runs), as they are written.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Does the text already tell the recipient how to opt out?
///
/// "opt out" (also "opt-out", "optout") and "unsubscribe" count in any
/// case; STOP counts only in capitals, the keyword form carriers recognise,
/// because a lowercase "stop" ("I'll stop by") is ordinary prose and
/// mistaking it for opt-out wording would send a text without one.
pub fn has_opt_out(text: &str) -> bool {
    let words: Vec<&str> = words(text).collect();
    words.iter().enumerate().any(|(i, w)| {
        let lower = w.to_lowercase();
        *w == "STOP"
            || lower == "unsubscribe"
            || lower == "optout"
            || (lower == "opt"
                && words
                    .get(i + 1)
                    .is_some_and(|next| next.eq_ignore_ascii_case("out")))
    })
}

/// The text with `wording` appended when it has no opt-out wording yet:
/// after a space, or on its own line when the text ends with a line break
/// (trailing spaces are dropped first). `wording` should itself pass
/// [`has_opt_out`] (the default does); when it does not, a text already
/// ending with it is left alone, so calling this twice never adds it twice.
pub fn with_opt_out(text: &str, wording: &str) -> String {
    let wording_trimmed = wording.trim();
    let already_ends_with_it = !has_opt_out(wording) && text.trim_end().ends_with(wording_trimmed);
    if has_opt_out(text) || wording_trimmed.is_empty() || already_ends_with_it {
        return text.to_string();
    }
    let kept = text.trim_end_matches([' ', '\t']);
    if kept.is_empty() {
        wording.to_string()
    } else if kept.ends_with('\n') {
        format!("{kept}{wording}")
    } else {
        format!("{kept} {wording}")
    }
}

/// Replaces characters that force UCS-2 with a GSM equivalent where one
/// is safe: a pasted curly quote or dash would otherwise cut a segment from
/// 160 characters to 70 and double what every text costs. Letters are left
/// alone (dropping an accent changes a name), and so is ASCII.
pub fn gsm_normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => {
                out.push('\'')
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
                out.push(' ')
            }
            // Invisible, so dropping them changes nothing a reader sees.
            '\u{200B}' | '\u{2060}' | '\u{FEFF}' => {}
            '\u{2022}' => out.push('-'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gsm(units: usize, segments: usize) -> Segments {
        Segments {
            encoding: SmsEncoding::Gsm7,
            units,
            segments,
        }
    }

    fn ucs2(units: usize, segments: usize) -> Segments {
        Segments {
            encoding: SmsEncoding::Ucs2,
            units,
            segments,
        }
    }

    #[test]
    fn empty_text_is_one_gsm_segment() {
        assert_eq!(segments(""), gsm(0, 1));
    }

    #[test]
    fn gsm_single_segment_holds_160_septets() {
        assert_eq!(segments(&"a".repeat(160)), gsm(160, 1));
        assert_eq!(segments(&"a".repeat(161)), gsm(161, 2));
    }

    #[test]
    fn gsm_concatenated_parts_hold_153_septets() {
        assert_eq!(segments(&"a".repeat(306)), gsm(306, 2));
        assert_eq!(segments(&"a".repeat(307)), gsm(307, 3));
        assert_eq!(segments(&"a".repeat(459)), gsm(459, 3));
        assert_eq!(segments(&"a".repeat(460)), gsm(460, 4));
    }

    #[test]
    fn ucs2_single_segment_holds_70_units() {
        let seventy = format!("é{}", "ж".repeat(69));
        assert_eq!(segments(&seventy), ucs2(70, 1));
        assert_eq!(segments(&"ж".repeat(71)), ucs2(71, 2));
        assert_eq!(segments(&"ж".repeat(134)), ucs2(134, 2));
        assert_eq!(segments(&"ж".repeat(135)), ucs2(135, 3));
    }

    #[test]
    fn one_non_gsm_character_makes_the_whole_text_ucs2() {
        // GIVEN 100 GSM characters WHEN one curly apostrophe is added
        let text = format!("{}\u{2019}", "a".repeat(100));
        // THEN every character costs a UTF-16 unit and it takes 2 segments
        assert_eq!(segments(&text), ucs2(101, 2));
    }

    #[test]
    fn extension_characters_count_two_septets() {
        assert_eq!(segments("€"), gsm(2, 1));
        assert_eq!(segments("[]{}|^~\\"), gsm(16, 1));
        // 80 extension characters are exactly 160 septets: still one segment.
        assert_eq!(segments(&"€".repeat(80)), gsm(160, 1));
        assert_eq!(segments(&format!("{}a", "€".repeat(80))), gsm(161, 2));
    }

    #[test]
    fn an_extension_character_is_not_split_across_parts() {
        // GIVEN 152 septets, then '€' whose escape would be septet 153 and
        // its code septet 154: it moves whole to part 2.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        // 152 + 2 + 152 = 306 septets would fit 2 parts if split freely.
        assert_eq!(segments(&text), gsm(306, 3));
        // One septet earlier it fits: 151 + 2 = 153, then 153 more.
        let text = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(segments(&text), gsm(306, 2));
    }

    #[test]
    fn an_emoji_is_not_split_across_ucs2_parts() {
        // GIVEN 66 units then an emoji (a surrogate pair) across the 67 mark
        let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
        // 66 + 2 + 66 = 134 units would fit 2 parts if split freely.
        assert_eq!(segments(&text), ucs2(134, 3));
        let text = format!("{}😀{}", "ж".repeat(65), "ж".repeat(67));
        assert_eq!(segments(&text), ucs2(134, 2));
    }

    #[test]
    fn known_examples() {
        assert_eq!(segments("Hi Jo, are you free Tue?"), gsm(24, 1));
        assert_eq!(segments("Café £5 @ 10:00_ok"), gsm(18, 1));
        assert_eq!(segments("Price: 5€"), gsm(10, 1));
        assert_eq!(segments("Hi 👋"), ucs2(5, 1));
        // The backtick is ASCII but not GSM.
        assert_eq!(segments("`"), ucs2(1, 1));
        // Lowercase ç is not in the table (0x09 is the capital).
        assert_eq!(segments("ç").encoding, SmsEncoding::Ucs2);
        assert_eq!(segments("Ç").encoding, SmsEncoding::Gsm7);
        assert_eq!(segments("a\tb").encoding, SmsEncoding::Ucs2);
    }

    #[test]
    fn opt_out_wording_is_recognised() {
        assert!(has_opt_out("Reply STOP to end"));
        assert!(has_opt_out("Text STOP."));
        assert!(has_opt_out("To opt out, reply"));
        assert!(has_opt_out("Opt-out: reply"));
        assert!(has_opt_out("UNSUBSCRIBE anytime"));
        assert!(has_opt_out(DEFAULT_OPT_OUT));
        assert!(!has_opt_out("I'll stop by Tuesday"));
        assert!(!has_opt_out("STOPPED by Tuesday"));
        assert!(!has_opt_out("We can opt for outdoor"));
        assert!(!has_opt_out("you were unsubscribed"));
        assert!(!has_opt_out(""));
    }

    #[test]
    fn opt_out_is_appended_only_when_missing() {
        assert_eq!(
            with_opt_out("See you Tue.", DEFAULT_OPT_OUT),
            "See you Tue. Reply STOP to opt out."
        );
        assert_eq!(
            with_opt_out("See you Tue.\n", DEFAULT_OPT_OUT),
            "See you Tue.\nReply STOP to opt out."
        );
        assert_eq!(
            with_opt_out("See you Tue.  ", DEFAULT_OPT_OUT),
            "See you Tue. Reply STOP to opt out."
        );
        assert_eq!(with_opt_out("", DEFAULT_OPT_OUT), DEFAULT_OPT_OUT);
        assert_eq!(
            with_opt_out("Reply STOP to end.", DEFAULT_OPT_OUT),
            "Reply STOP to end."
        );
    }

    #[test]
    fn normalising_removes_accidental_ucs2() {
        let text = "It\u{2019}s \u{201C}quick\u{201D} \u{2014} 5\u{00A0}min\u{2026}";
        assert_eq!(segments(text).encoding, SmsEncoding::Ucs2);
        let clean = gsm_normalise(text);
        assert_eq!(clean, "It's \"quick\" - 5 min...");
        assert_eq!(segments(&clean).encoding, SmsEncoding::Gsm7);
        // Letters and emoji are left as they are.
        assert_eq!(gsm_normalise("ç 😀"), "ç 😀");
    }

    proptest! {
        #[test]
        fn appending_a_character_never_lowers_the_segment_count(
            text in "(\\PC|[€\\[\\]{}|^~\\\\])*",
            c in any::<char>(),
        ) {
            let before = segments(&text);
            let after = segments(&format!("{text}{c}"));
            prop_assert!(after.segments >= before.segments, "{before:?} -> {after:?}");
        }

        #[test]
        fn gsm_text_of_any_length_counts_like_a_formula(n in 0usize..1000) {
            let s = segments(&"x".repeat(n));
            let expected = if n <= 160 { 1 } else { n.div_ceil(153) };
            prop_assert_eq!(s, gsm(n, expected));
        }

        #[test]
        fn normalising_ascii_changes_nothing(text in "[\\x00-\\x7F]*") {
            prop_assert_eq!(gsm_normalise(&text), text);
        }

        #[test]
        fn normalising_twice_is_normalising_once(text in "\\PC*") {
            let once = gsm_normalise(&text);
            prop_assert_eq!(gsm_normalise(&once), once);
        }

        #[test]
        fn with_opt_out_always_has_opt_out(
            text in "\\PC*",
            wording in prop::sample::select(vec![
                DEFAULT_OPT_OUT, "Text STOP to end.", "Opt-out: reply STOP", "Unsubscribe: reply END",
            ]),
        ) {
            prop_assert!(has_opt_out(&with_opt_out(&text, wording)));
        }

        #[test]
        fn with_opt_out_is_idempotent(text in "\\PC*", wording in "\\PC*") {
            let once = with_opt_out(&text, &wording);
            prop_assert_eq!(with_opt_out(&once, &wording), once.clone());
            let once = with_opt_out(&text, DEFAULT_OPT_OUT);
            prop_assert_eq!(with_opt_out(&once, DEFAULT_OPT_OUT), once);
        }
    }
}
