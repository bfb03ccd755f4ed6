//! The templates a new tenant starts with: one per step and channel of the
//! default sequences, with A/B subject and body variants.

use super::*;

impl Default for TemplateSet {
    fn default() -> Self {
        let t = |id: &str,
                 key: &str,
                 channel,
                 subjects: &[&str],
                 bodies: &[&str],
                 max_chars: Option<usize>| MessageTemplate {
            id: id.into(),
            key: Some(key.into()),
            step: 0,
            channel,
            tiers: vec![],
            offers: vec![],
            subject: subjects.iter().map(|s| s.to_string()).collect(),
            body: bodies.iter().map(|s| s.to_string()).collect(),
            max_chars,
        };
        let sign = "\n\n{{ signature }}";
        let intro_a = format!("Hi {{{{ first_name }}}},\n\nI was looking at {{{{ company }}}} in {{{{ city }}}}: a {{{{ rating }}}} rating across {{{{ review_count }}}} reviews. {{{{ pain | capitalize }}}}.\n\n{{{{ proof_angle | capitalize }}}}. {{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let intro_b = format!("Hi {{{{ first_name }}}},\n\n{{{{ company }}}} has {{{{ review_count }}}} Google reviews at {{{{ rating }}}} stars, and buyers in {{{{ city }}}} compare that number before they visit. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let short_a = format!("Hi {{{{ first_name }}}},\n\nA note for {{{{ company }}}}: {{{{ pain }}}}. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let short_b = format!("Hi {{{{ first_name }}}},\n\nWhen buyers search for a lot like {{{{ company }}}}, {{{{ pain }}}}. {{{{ proof_angle | capitalize }}}}.\n\n{{{{ cta | capitalize }}}}{sign}\n{{{{ booking_link }}}}");
        let mut templates = vec![
            t(
                "email-intro",
                "intro",
                Channel::Email,
                &[
                    "{{ company }}'s {{ review_count }} Google reviews",
                    "{{ rating }} stars in {{ city }}",
                ],
                &[&intro_a, &intro_b],
                None,
            ),
            t(
                "email-intro-short",
                "intro",
                Channel::Email,
                &["{{ company }} on Google", "{{ first_name }}, about {{ company }}"],
                &[&short_a, &short_b],
                None,
            ),
            t(
                "voice-brief",
                "call",
                Channel::Voice,
                &[],
                &["Opening: \"{{ first_name }}, it's {{ sender_name }}; I sent a note about {{ company }}'s Google reviews.\"\nPain: {{ pain }}.\nProof: {{ proof_angle }}.\nAsk: {{ cta }}\nVoicemail: name, one line on the reviews, \"I'll send the details by email.\""],
                None,
            ),
            t(
                "linkedin-connect",
                "li-connect",
                Channel::Linkedin,
                &[],
                &["Hi {{ first_name }}, I work with businesses around {{ city }} on their Google reviews and saw {{ company }}. Would be glad to connect."],
                Some(300),
            ),
            t(
                "email-value",
                "value",
                Channel::Email,
                &["an idea for {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nOne idea for {{{{ company }}}}: reply to every new review within a day; buyers in {{{{ city }}}} read the answers as much as the stars.\n\n{{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "sms-nudge",
                "sms-nudge",
                Channel::Sms,
                &[],
                &["Hi {{ first_name }}, {{ sender_name }} here about {{ company }}'s reviews. Still worth a short chat? {{ booking_link }}"],
                None,
            ),
            t(
                "email-follow-up",
                "follow-up",
                Channel::Email,
                &["{{ company }}, following up"],
                &[&format!("Hi {{{{ first_name }}}},\n\nFollowing up on my note about {{{{ company }}}}'s reviews. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-follow-up-2",
                "follow-up",
                Channel::Email,
                &["one more thought on {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nOne more thought for {{{{ company }}}}: {{{{ proof_angle }}}}. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-follow-up-3",
                "follow-up",
                Channel::Email,
                &["last note about {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nLast note from me about {{{{ company }}}} in {{{{ city }}}}: if reviews are on your list this quarter, the link below finds a time.{sign}\n{{{{ booking_link }}}}")],
                None,
            ),
            // The 8-step email + LinkedIn cadence (see `sequence::email_linkedin_cadence`).
            t(
                "email-bump",
                "bump",
                Channel::Email,
                &["re: {{ company }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nBumping this up in case it got buried: {{{{ proof_angle }}}}, and {{{{ company }}}} looks like a good fit. {{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "linkedin-message",
                "li-message",
                Channel::Linkedin,
                &[],
                &["Thanks for connecting, {{ first_name }}. I sent a note about {{ company }}'s Google reviews: {{ proof_angle }}. {{ cta | capitalize }}"],
                Some(1000),
            ),
            t(
                "linkedin-follow-up",
                "li-follow-up",
                Channel::Linkedin,
                &[],
                &["{{ first_name }}, one number for {{ company }}: {{ proof_angle }}. Happy to show how, or to leave it here."],
                Some(1000),
            ),
            t(
                "email-proof",
                "proof",
                Channel::Email,
                &["how a lot like {{ company }} did it"],
                &[&format!("Hi {{{{ first_name }}}},\n\n{{{{ proof_angle | capitalize }}}}. The work was simple: ask every buyer at delivery, answer every review within a day. {{{{ company }}}} could do the same in {{{{ city }}}}.\n\n{{{{ cta | capitalize }}}}{sign}")],
                None,
            ),
            t(
                "email-breakup",
                "breakup",
                Channel::Email,
                &["closing the loop, {{ first_name }}"],
                &[&format!("Hi {{{{ first_name }}}},\n\nI'll stop here so I don't crowd your inbox. If {{{{ company }}}}'s reviews become a priority, the link is below.{sign}\n{{{{ booking_link }}}}")],
                None,
            ),
        ];
        // Tier 1 leads get a call brief that leans on the score's reasons.
        templates.push(MessageTemplate {
            id: "voice-brief-tier1".into(),
            tiers: vec![Tier::Tier1],
            body: vec!["Opening: \"{{ first_name }}, it's {{ sender_name }} from {{ sender_company }}; {{ company }} came up as one of the strongest lots in {{ city }}.\"\nPain: {{ pain }}.\nProof: {{ proof_angle }}.\nAsk: {{ cta }}\nVoicemail: name, the {{ rating }}-star rating, \"details by email.\"".into()],
            ..templates.iter().find(|t| t.id == "voice-brief").expect("voice brief").clone()
        });
        Self { templates }
    }
}
