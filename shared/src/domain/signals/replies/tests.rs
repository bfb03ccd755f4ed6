//! The classifier against the repository's labelled set, and the parts it
//! stands on: quoted history, headers, dates, referrals, evaluation.

use super::eval::{evaluate, EvalError, EvalReport};
use super::quoted::fresh_text;
use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

const LABELLED: &str = include_str!("../../../../../tests/fixtures/replies/labelled.jsonl");

/// The labelled set's report, worked out once for every test that reads it.
fn labelled_report() -> &'static EvalReport {
    static REPORT: std::sync::OnceLock<EvalReport> = std::sync::OnceLock::new();
    REPORT.get_or_init(|| evaluate(LABELLED).expect("the labelled set reads"))
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Classifies an email received on 1 December 2026.
fn email(hs: &[(&str, &str)], subject: &str, body: &str) -> Classification {
    email_at(hs, subject, body, at(2026, 12, 1))
}

fn email_at(hs: &[(&str, &str)], subject: &str, body: &str, when: DateTime<Utc>) -> Classification {
    let hs = headers(hs);
    classify(&Reply {
        channel: "email",
        headers: &hs,
        subject,
        body,
        received_at: when,
    })
}

fn text(channel: &str, body: &str) -> Classification {
    classify(&Reply {
        channel,
        headers: &[],
        subject: "",
        body,
        received_at: at(2026, 12, 1),
    })
}

const PITCH: &str = "Hi Jane,\n\nWorth a 15-minute meeting next week? Book a call here: \
https://cal.example.com/tom\n\nNot interested? Reply \"unsubscribe\".";

fn quote_lines(text: &str) -> String {
    text.lines().map(|l| format!("> {l}\n")).collect()
}

#[test]
fn the_labelled_set_holds_its_figures() {
    // GIVEN the repository's labelled replies
    // WHEN every one is classified
    let report = labelled_report();
    println!("{report}");
    // THEN there are enough of them, in every class
    assert!(report.lines >= 320, "only {} lines", report.lines);
    for c in &report.classes {
        assert!(c.support >= 20, "{} has only {} lines", c.class, c.support);
    }
    // AND absences and opt-outs are near perfect, every class good
    for c in &report.classes {
        let floor = match c.class {
            ReplyClass::OutOfOffice | ReplyClass::Unsubscribe => 0.97,
            _ => 0.85,
        };
        assert!(
            c.precision() >= floor && c.recall() >= floor,
            "{}: precision {:.3}, recall {:.3} (floor {floor})",
            c.class,
            c.precision(),
            c.recall()
        );
    }
    // AND return dates are found as labelled
    assert!(
        report.return_dates_right * 100 >= report.return_dates_expected * 85,
        "return dates {}/{}",
        report.return_dates_right,
        report.return_dates_expected
    );
}

#[test]
fn each_languages_attribution_line_cuts_the_history() {
    let cases = [
        "On Tue, Nov 24, 2026 at 9:14 AM Tom Becker <tom@pipeline-demo.io> wrote:",
        "On Tue, Nov 24, 2026 at 9:14 AM Tom Becker <\ntom@pipeline-demo.io> wrote:",
        "On 24/11/2026 09:14, Tom Becker wrote:",
        "Am Di., 24. Nov. 2026 um 09:14 Uhr schrieb Lena Hoffmann <lena@pipeline-demo.io>:",
        "Le mar. 24 nov. 2026 à 09:14, Claire Martin <claire@pipeline-demo.io> a écrit :",
        "El mar, 24 nov 2026 a las 9:14, Diego Ramos (<diego@pipeline-demo.io>) escribió:",
    ];
    for attribution in cases {
        // GIVEN a reply above an attribution line and our pitch, unquoted
        let body = format!("Thanks, not for us.\n\n{attribution}\n\n{PITCH}");
        // WHEN the fresh text is taken
        // THEN only the reply is left
        assert_eq!(fresh_text(&body), "Thanks, not for us.", "{attribution}");
    }
}

#[test]
fn outlook_header_blocks_and_separators_cut_the_history() {
    let cases = [
        "________________________________\nFrom: Tom Becker <tom@x.io>\nSent: Tuesday, November 24, 2026 9:14 AM\nTo: Jane\nSubject: Quick question",
        "-----Original Message-----\nFrom: Tom Becker [mailto:tom@x.io]\nSent: Tuesday, November 24, 2026 9:14 AM",
        "Von: Lena Hoffmann <lena@x.io>\nGesendet: Dienstag, 24. November 2026 09:14\nAn: Jan\nBetreff: Idee",
        "-----Ursprüngliche Nachricht-----\nVon: Lena",
        "De : Claire Martin <claire@x.io>\nEnvoyé : mardi 24 novembre 2026 09:14\nÀ : Luc\nObjet : Une question",
        "De: Diego Ramos <diego@x.io>\nEnviado: martes, 24 de noviembre de 2026 9:14\nPara: Rosa\nAsunto: Pregunta",
        "---------- Forwarded message ---------\nFrom: Tom",
        "Sent from my iPhone",
        "-- \nJane Doe | VP Sales\nBook a meeting: https://calendly.com/jane",
    ];
    for history in cases {
        let body = format!("No thanks.\n\n{history}\n\n{PITCH}");
        assert_eq!(fresh_text(&body), "No thanks.", "{history}");
    }
}

#[test]
fn quoted_lines_are_dropped_even_between_fresh_ones() {
    let body = format!(
        "{}Yes please, send more info.\n> more of ours\nThanks",
        quote_lines(PITCH)
    );
    assert_eq!(fresh_text(&body), "Yes please, send more info.\nThanks");
}

#[test]
fn our_quoted_pitch_never_decides_the_class() {
    // GIVEN a one-word objection above our pitch, which says "meeting",
    // "book a call" and "unsubscribe"
    let body = format!(
        "not interested\n\nOn Tue, Nov 24, 2026 at 9:14 AM Tom <tom@x.io> wrote:\n{}",
        quote_lines(PITCH)
    );
    // WHEN classified THEN it is the objection
    let c = email(&[], "Re: Quick question", &body);
    assert_eq!(c.class, ReplyClass::Objection, "{}", c.evidence);
}

#[test]
fn rfc_3834_headers_make_an_absence_notice() {
    // GIVEN a Gmail vacation reply
    let c = email(
        &[("Auto-Submitted", "auto-replied"), ("Precedence", "bulk")],
        "Re: Quick question",
        "I'm on vacation and will be back on December 7th.",
    );
    // THEN it is out of office, says so by the header, and knows the day
    assert_eq!(c.class, ReplyClass::OutOfOffice);
    assert!(
        c.evidence.contains("header Auto-Submitted: auto-replied"),
        "{}",
        c.evidence
    );
    assert_eq!(c.return_date, day(2026, 12, 7));
    assert!(c.class.is_auto());
}

#[test]
fn auto_headers_without_absence_words_are_another_machine() {
    let c = email(
        &[("Auto-Submitted", "auto-generated")],
        "Re: Quick question",
        "This mailbox is not monitored. Please use our contact form.",
    );
    assert_eq!(c.class, ReplyClass::OtherAuto);
    assert!(c.evidence.contains("Auto-Submitted"), "{}", c.evidence);
}

#[test]
fn auto_submitted_no_and_exchanges_suppress_hint_do_not_make_a_machine() {
    // GIVEN a person's reply through Exchange, which stamps
    // X-Auto-Response-Suppress on ordinary mail too
    let c = email(
        &[
            ("Auto-Submitted", "no"),
            ("X-Auto-Response-Suppress", "All"),
        ],
        "RE: Quick question",
        "Happy to chat. Does Thursday at 2pm work?",
    );
    // THEN it is read as a person's
    assert_eq!(c.class, ReplyClass::BookingIntent, "{}", c.evidence);
}

#[test]
fn an_exchange_subject_alone_is_enough() {
    let c = email(
        &[],
        "Automatische Antwort: Idee für Sie",
        "Vielen Dank. Ich bin bis einschließlich 11.12.2026 nicht im Büro.",
    );
    assert_eq!(c.class, ReplyClass::OutOfOffice);
    assert_eq!(c.return_date, day(2026, 12, 11));
}

#[test]
fn an_absence_written_by_hand_is_still_an_absence() {
    let c = text("sms", "on vacation, back jan 3");
    assert_eq!(c.class, ReplyClass::OutOfOffice);
    assert_eq!(c.return_date, day(2027, 1, 3));
}

#[test]
fn return_dates_in_each_language() {
    let ooo = [("Auto-Submitted", "auto-replied")];
    let cases = [
        (
            "I am out of the office, back on 3 December.",
            day(2026, 12, 3),
        ),
        ("Out of office, returning Dec 3rd.", day(2026, 12, 3)),
        ("Out of office until 12/03.", day(2026, 12, 3)),
        ("Out of office until 12/08, then back.", day(2026, 12, 8)),
        ("Out of office until 25/12.", day(2026, 12, 25)),
        ("Ich bin im Urlaub und zurück am 3.12.", day(2026, 12, 3)),
        (
            "Ich bin ab dem 3. Dezember wieder im Büro.",
            day(2026, 12, 3),
        ),
        ("Je suis absent, de retour le 3 décembre.", day(2026, 12, 3)),
        ("Je suis en congés jusqu'au 3/12.", day(2026, 12, 3)),
        (
            "Estoy de vacaciones, regreso el 3 de diciembre.",
            day(2026, 12, 3),
        ),
        (
            "Estaré fuera de la oficina hasta el 3 de diciembre.",
            day(2026, 12, 3),
        ),
        ("Estoy de viaje hasta el 3/12.", day(2026, 12, 3)),
        (
            "I am away from 20 November to 4 December 2026 inclusive.",
            day(2026, 12, 4),
        ),
        ("Ich bin vom 30.11. bis 4.12. im Urlaub.", day(2026, 12, 4)),
        ("Out of office till Monday.", day(2026, 12, 7)),
    ];
    for (body, want) in cases {
        let c = email(&ooo, "Out of office", body);
        assert_eq!(c.class, ReplyClass::OutOfOffice, "{body}");
        assert_eq!(c.return_date, want, "{body}: {}", c.evidence);
    }
}

#[test]
fn next_weekday_is_next_weeks() {
    // GIVEN a notice received on Tuesday 1 December
    let c = email(
        &[("Auto-Submitted", "auto-replied")],
        "Out of office",
        "I'm away from my inbox until next Wednesday.",
    );
    // THEN "next Wednesday" is the 9th, not tomorrow
    assert_eq!(c.return_date, day(2026, 12, 9), "{}", c.evidence);
}

#[test]
fn opening_hours_are_no_return_date() {
    // GIVEN an automatic acknowledgement naming its opening hours
    let c = email(
        &[("Auto-Submitted", "auto-replied")],
        "Thank you for contacting Bluebird",
        "Our business hours are 8am-6pm, Monday to Friday. We will get back to you soon.",
    );
    // THEN it is another machine's message, not an absence until Friday
    assert_eq!(c.class, ReplyClass::OtherAuto, "{}", c.evidence);
    assert_eq!(c.return_date, None);
}

#[test]
fn a_british_sender_writes_the_day_first() {
    let c = email(
        &[
            ("From", "Oliver <oliver@harrowgate.co.uk>"),
            ("Auto-Submitted", "auto-replied"),
        ],
        "Out of office",
        "I am out of the office until 03/12.",
    );
    assert_eq!(c.return_date, day(2026, 12, 3));
}

#[test]
fn a_date_without_a_year_rolls_over_to_the_next() {
    // GIVEN an absence notice received on 20 December
    let c = email_at(
        &[("Auto-Submitted", "auto-replied")],
        "Out of office",
        "I'm out for the holidays, back on 5 January.",
        at(2026, 12, 20),
    );
    // THEN the return is next year's 5 January
    assert_eq!(c.return_date, day(2027, 1, 5));
}

#[test]
fn a_date_already_past_is_ignored() {
    let c = email(
        &[("Auto-Submitted", "auto-replied")],
        "Out of office",
        "I was out of office until 20 November 2026 and will reply soon.",
    );
    assert_eq!(c.class, ReplyClass::OutOfOffice);
    assert_eq!(c.return_date, None, "{}", c.evidence);
}

#[test]
fn deferrals_give_when_to_write_again() {
    let cases = [
        ("Not right now, reach out next quarter.", day(2027, 1, 1)),
        ("Not right now, reach out in Q2.", day(2027, 4, 1)),
        ("Not now. Try again in 3 months.", day(2027, 3, 1)),
        (
            "Momentan nicht, vielleicht in drei Monaten.",
            day(2027, 3, 1),
        ),
        ("Pas maintenant, peut-être dans 3 mois.", day(2027, 3, 1)),
        ("Ahora no, quizás en 3 meses.", day(2027, 3, 1)),
        ("Please contact me after Christmas.", day(2027, 1, 2)),
        ("Bitte nach Weihnachten nochmal melden.", day(2027, 1, 2)),
        ("Contact me next year.", day(2027, 1, 2)),
        ("Gerne nächstes Jahr nochmal.", day(2027, 1, 2)),
        ("Revenez vers moi l'année prochaine.", day(2027, 1, 2)),
        ("Contácteme el próximo año.", day(2027, 1, 2)),
        ("Busy now, try me again in January.", day(2027, 1, 1)),
        (
            "Momentan nicht, melden Sie sich im Januar wieder.",
            day(2027, 1, 1),
        ),
        (
            "Pas pour le moment, relancez-moi en janvier.",
            day(2027, 1, 1),
        ),
        ("Ahora mismo no, escríbeme en enero.", day(2027, 1, 1)),
        ("Busy until March.", day(2027, 3, 1)),
    ];
    for (body, want) in cases {
        let c = text("email", body);
        assert_eq!(c.class, ReplyClass::NotNow, "{body}: {}", c.evidence);
        assert_eq!(c.return_date, want, "{body}: {}", c.evidence);
    }
}

#[test]
fn a_referral_is_another_address_than_the_senders() {
    // GIVEN a reply pointing elsewhere, signed with the sender's own address
    let c = email(
        &[("From", "Lisa Park <Lisa.Park@meridian.com>")],
        "Re: Quick question",
        "I'm not the right person. Please contact david.cho@meridian.com.\n\nLisa Park\nlisa.park@meridian.com",
    );
    // THEN the referral is the colleague
    assert_eq!(c.class, ReplyClass::WrongPerson);
    assert_eq!(c.referral_email.as_deref(), Some("david.cho@meridian.com"));
}

#[test]
fn someone_who_left_with_a_successor_is_a_wrong_person_and_without_one_a_machine() {
    let ooo = [("Auto-Submitted", "auto-generated")];
    let with = email(
        &ooo,
        "Automatic reply: Quick question",
        "I have left Halcyon. Please contact rebecca@halcyon.com instead.",
    );
    assert_eq!(with.class, ReplyClass::WrongPerson);
    assert_eq!(with.referral_email.as_deref(), Some("rebecca@halcyon.com"));
    let without = email(
        &ooo,
        "Automatic reply: Quick question",
        "Mark is no longer with Orbitly. This mailbox is not monitored.",
    );
    assert_eq!(without.class, ReplyClass::OtherAuto);
}

#[test]
fn opt_outs_beat_everything_a_person_writes() {
    for body in [
        "STOP",
        "Not interested. Please don't contact me again.",
        "Wrong number, stop texting me",
        "Bitte tragen Sie mich aus.",
        "Merci de me désabonner.",
        "Por favor, denme de baja.",
    ] {
        let c = text("sms", body);
        assert_eq!(c.class, ReplyClass::Unsubscribe, "{body}: {}", c.evidence);
    }
}

#[test]
fn opt_outs_in_other_words() {
    for body in [
        "Remove this address from your outreach please",
        "Please cease all communication with me.",
        "Bitte entfernen Sie meine Adresse aus Ihrer Liste.",
        "Veuillez me retirer de vos listes.",
        "Quiten mi correo de su lista, por favor.",
    ] {
        let c = text("email", body);
        assert_eq!(c.class, ReplyClass::Unsubscribe, "{body}: {}", c.evidence);
    }
    // AND asking where we got the address is no opt-out
    let c = text("email", "¿De dónde sacaron mi correo?");
    assert_eq!(c.class, ReplyClass::NeutralQuestion, "{}", c.evidence);
}

#[test]
fn negated_interest_is_refusal() {
    for body in [
        "We have zero interest in AI SDR tools.",
        "Aucun intérêt pour nous.",
        "Kein Interesse.",
        "No me interesa.",
    ] {
        let c = text("email", body);
        assert_eq!(c.class, ReplyClass::Objection, "{body}: {}", c.evidence);
    }
}

#[test]
fn a_but_turns_an_objection_into_interest() {
    let c = text(
        "email",
        "Not interested in a call, but send it over and I'll read it.",
    );
    assert_eq!(c.class, ReplyClass::Interested, "{}", c.evidence);
    let c = text("email", "Interesting, but we already use Apollo.");
    assert_eq!(c.class, ReplyClass::Objection, "{}", c.evidence);
}

#[test]
fn every_classification_says_why() {
    for body in ["", "   ", "hm", "?", "Thanks!", "STOP", "Tuesday 3pm?"] {
        for channel in ["email", "sms", "linkedin"] {
            let c = text(channel, body);
            assert!(!c.evidence.trim().is_empty(), "{channel} {body:?}: {c:?}");
        }
    }
    assert!(labelled_report()
        .misses
        .iter()
        .all(|m| !m.evidence.is_empty()));
}

#[test]
fn class_names_are_the_serde_names() {
    for class in ReplyClass::ALL {
        let json = serde_json::to_string(&class).unwrap();
        assert_eq!(json, format!("\"{}\"", class.as_str()));
        assert_eq!(class.as_str().parse::<ReplyClass>(), Ok(class));
        assert_eq!(serde_json::from_str::<ReplyClass>(&json).unwrap(), class);
    }
    assert!("maybe".parse::<ReplyClass>().is_err());
    assert_eq!(
        ReplyClass::ALL.iter().filter(|c| c.is_auto()).count(),
        2,
        "only out_of_office and other_auto are machines"
    );
}

#[test]
fn a_bad_line_is_named() {
    let good = r#"{"channel":"sms","headers":{},"subject":"","body":"STOP","label":"unsubscribe"}"#;
    let cases = [
        (
            r#"{"channel":"sms","headers":{},"subject":"","body":"STOP"}"#,
            "missing field `label`",
        ),
        (
            r#"{"channel":"sms","headers":{},"subject":"","body":"x","label":"maybe"}"#,
            "label",
        ),
        (
            r#"{"channel":"sms","headers":{},"subject":"","body":"x","label":"not_now","return_date":"3 Dec"}"#,
            "return_date",
        ),
        (
            r#"{"channel":"fax","headers":{},"subject":"","body":"x","label":"objection"}"#,
            "channel",
        ),
        ("not json", "expected"),
    ];
    for (bad, reason) in cases {
        let set = format!("{good}\n\n{bad}\n");
        match evaluate(&set) {
            Err(EvalError::BadLine { line, reason: why }) => {
                assert_eq!(line, 3, "{bad}");
                assert!(why.contains(reason), "{bad}: {why}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(evaluate("\n \n"), Err(EvalError::Empty));
}

#[test]
fn the_report_prints_its_parts() {
    let printed = labelled_report().to_string();
    for part in [
        "precision",
        "recall",
        "support",
        "confusion",
        "return dates:",
        "referral emails:",
    ] {
        assert!(printed.contains(part), "missing {part}");
    }
}

proptest! {
    #[test]
    fn any_reply_is_classified_with_evidence(
        subject in ".{0,40}",
        body in ".{0,400}",
        name in "[A-Za-z-]{0,20}",
        value in ".{0,30}",
        channel in prop::sample::select(vec!["email", "sms", "linkedin", ""]),
        days in 0i64..40_000,
    ) {
        let hs = vec![(name, value)];
        let when = at(2000, 1, 1) + chrono::Duration::days(days);
        let c = classify(&Reply { channel, headers: &hs, subject: &subject, body: &body, received_at: when });
        prop_assert!(!c.evidence.is_empty());
        if let Some(d) = c.return_date {
            prop_assert!(d >= when.date_naive());
        }
    }

    #[test]
    fn dates_and_quotes_in_any_order_never_panic(
        words in prop::collection::vec(
            prop::sample::select(vec![
                "back", "on", "until", "bis", "3", "12", "2026", ".", "/", "-", "December",
                "Dez", "Monday", "the", "14th", "in", "Q2", "next", "year", "mid", "end",
                "of", "January", "de", "> ", "\n", "wrote:", "On", "--", "@", "a", "x@y.io",
                "out", "of", "office", "1er", "las", "pm", ":", "00",
            ]),
            0..40,
        ),
    ) {
        let body = words.join(" ");
        let c = text("email", &body);
        prop_assert!(!c.evidence.is_empty());
    }
}
